import { expect, test, type Page } from "@playwright/test";
import { openDestination, screenshot, segment, setScheduledExportRunning } from "./helpers";

async function expectBlocked(page: Page, violation: RegExp) {
  await expect(page.locator(".violations")).toContainText(violation);
  await expect(page.getByRole("button", { name: "Activate", exact: true })).toBeDisabled();
  await expect(page.getByText("Fix the problems listed in the plan first.")).toBeVisible();
}

test("more than 80 entries cannot be activated", async ({ page }) => {
  await openDestination(page, "Bulk QA export (S3)");
  await page.getByRole("button", { name: "Select all matching" }).click();
  await expect(page.getByText("90 / 80 entries")).toBeVisible();
  await expectBlocked(page, /90 destination×segment entries; one job allows at most 80/);
  await screenshot(page, "guardrail-81");
});

test("a segment with a run in progress is marked and blocked", async ({ page }) => {
  await openDestination(page, "CRM sync (SFTP)");
  const busy = page.locator("li.segment", { hasText: "Loyalty gold members" });
  await expect(busy).toContainText("Run in progress");
  await segment(page, "Loyalty gold members").check();
  await expectBlocked(page, /already has a run in progress/);
});

test("a segment running on another destination is caught when Activate is pressed", async ({ page }) => {
  // "Loyalty gold members" is busy on CRM sync; the Flash sale picker only knows its own runs.
  await openDestination(page, "Flash sale drop (S3)");
  await segment(page, "Loyalty gold members").check();
  await expect(page.getByText("This plan passes every guardrail.")).toBeVisible();
  await page.getByRole("button", { name: "Activate", exact: true }).click();
  await expectBlocked(page, /already has a run in progress/);
  await expect(page.getByRole("alertdialog")).toHaveCount(0);
});

test("a segment out of its schedule is marked and blocked", async ({ page }) => {
  await openDestination(page, "Flash sale drop (S3)");
  await expect(page.locator("li.segment", { hasText: "Price-drop watchers" })).toContainText("Out of schedule");
  await segment(page, "Price-drop watchers").check();
  await expectBlocked(page, /out of its schedule range/);
});

test("a segment mapped minutes ago waits for its first activation", async ({ page }) => {
  await openDestination(page, "Flash sale drop (S3)");
  await expect(page.locator("li.segment", { hasText: "Holiday gift seekers" })).toContainText(/Waiting for first activation until \d\d:\d\d UTC/);
  await segment(page, "Holiday gift seekers").check();
  await expectBlocked(page, /can be activated from \d\d:\d\d UTC/);
});

test("a running scheduled export blocks every activation", async ({ page }) => {
  await setScheduledExportRunning(true);
  try {
    await openDestination(page, "Flash sale drop (S3)");
    await expect(page.locator("li.segment", { hasText: "Summer VIP shoppers" })).toContainText("Blocked by a scheduled export");
    await segment(page, "Summer VIP shoppers").check();
    await expectBlocked(page, /scheduled segment export job/);
    await screenshot(page, "guardrail-export-running");
  } finally {
    await setScheduledExportRunning(false);
  }
});
