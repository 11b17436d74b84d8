import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
import { expectAccessible, exportedFiles, openDestination, screenshot, segment, tabTo } from "./helpers";

test("a marketer activates a segment and its file lands in the export folder", async ({ page }) => {
  test.setTimeout(90_000);
  await openDestination(page, "Flash sale drop (S3)");
  await segment(page, "Integration test audience").check();
  await expect(page.getByText("1 / 80 entries")).toBeVisible();
  await expect(page.getByText("This plan passes every guardrail.")).toBeVisible();
  await screenshot(page, "activate-plan");
  await page.getByRole("button", { name: "Activate", exact: true }).click();
  const dialog = page.getByRole("alertdialog", { name: "Confirm the activation" });
  await expect(dialog).toContainText("Flash sale drop (S3): 1 segments");
  await dialog.getByRole("button", { name: "Confirm activation" }).click();
  const runs = page.getByRole("table", { name: "Runs" });
  await expect(runs).toContainText("Integration test audience");
  await expect(runs).toContainText("In progress");
  // The demo's runs take 30 s on the emulator's clock.
  await expect(runs).toContainText("Succeeded", { timeout: 60_000 });
  await expect(runs).toContainText("25");
  await screenshot(page, "activate-done");
  const files = exportedFiles("Flash_sale_drop__S3_").filter((f) => f.includes("Integration_test_audience"));
  expect(files).toHaveLength(1);
  const lines = fs.readFileSync(files[0], "utf8").trim().split("\n");
  expect(lines).toHaveLength(26);
  expect(lines[0]).toContain("ECID");
});

test("the whole activation works with the keyboard alone", async ({ page }) => {
  test.setTimeout(60_000);
  await page.goto("/activate");
  await expect(page.getByRole("button", { name: /Flash sale drop/ })).toBeVisible();
  await tabTo(page, /Flash sale drop \(S3\)/);
  await page.keyboard.press("Enter");
  await tabTo(page, /Empty test segment/);
  await page.keyboard.press("Space");
  await expect(segment(page, "Empty test segment")).toBeChecked();
  await tabTo(page, /^Activate$/);
  await page.keyboard.press("Enter");
  // The confirmation takes the focus.
  await expect(page.getByRole("button", { name: "Confirm activation" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("table", { name: "Runs" })).toContainText("Empty test segment");
});

test("a viewer sees the pickers but cannot activate", async ({ browser }) => {
  const context = await browser.newContext({ extraHTTPHeaders: { "x-demo-role": "viewer" } });
  const page = await context.newPage();
  await openDestination(page, "Flash sale drop (S3)");
  await expect(page.getByText("demo · viewer")).toBeVisible();
  await segment(page, "Summer VIP shoppers").check();
  await expect(page.getByRole("button", { name: "Activate", exact: true })).toBeDisabled();
  await expect(page.getByText("Your role may look but not activate.")).toBeVisible();
  await context.close();
});

test("the activate view has no serious accessibility problem", async ({ page }) => {
  await openDestination(page, "CRM sync (SFTP)");
  await segment(page, "Coffee subscription").check();
  await expectAccessible(page);
});

test("a plan held up by the first-activation wait is scheduled for later, and can be cancelled", async ({ page }) => {
  await openDestination(page, "Flash sale drop (S3)");
  await segment(page, "Holiday gift seekers").check();
  await expect(page.getByRole("button", { name: "Activate", exact: true })).toBeDisabled();
  await page.getByRole("button", { name: "Schedule…" }).click();
  // Two hours from now, in the browser's time zone.
  const at = new Date(Date.now() + 2 * 3600_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const local = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
  await page.getByLabel("Send at (your time)").fill(local);
  await expect(page.getByText(/in UTC: \d{4}-\d\d-\d\dT\d\d:\d\d/)).toBeVisible();
  await page.getByRole("button", { name: "Schedule this plan" }).click();
  await expect(page.getByText("Scheduled: it will be checked again and sent at its time.")).toBeVisible();
  await page.getByRole("status").getByRole("link", { name: "See it in the history" }).click();
  await expect(page.locator("dl.record")).toContainText("Scheduled");
  await expect(page.locator("dl.record")).toContainText("Runs at");
  await page.getByRole("button", { name: "Cancel this plan" }).click();
  await expect(page.locator("dl.record")).toContainText("Cancelled");
  await expect(page.getByRole("button", { name: "Cancel this plan" })).toHaveCount(0);
});

test("a plan held up by a running segment is offered to go as parts", async ({ page }) => {
  await openDestination(page, "Flash sale drop (S3)");
  await segment(page, "Loyalty gold members").check();
  await segment(page, "Flash sale responders").check();
  await expect(page.getByRole("button", { name: "Activate", exact: true })).toBeDisabled();
  await page.getByRole("button", { name: "Split into parts and send" }).click();
  await expect(page.getByText("Split into parts: they are sent one after another as their segments free up.")).toBeVisible();
  await page.getByRole("status").getByRole("link", { name: "See it in the history" }).click();
  const parts = page.locator("ol.parts li");
  await expect(parts).toHaveCount(2);
  // The free segment's part goes at once; the running one's waits for its run to end.
  await expect(parts.first()).toContainText("Accepted", { timeout: 20_000 });
  await expect(parts.nth(1)).toContainText("Queued");
});
