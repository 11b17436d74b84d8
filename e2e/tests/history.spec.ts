import { expect, test } from "@playwright/test";
import { activateThroughApi, dataflow, expectAccessible, openDestination, screenshot, segment } from "./helpers";

test("an activation appears in the history with its runs in the detail", async ({ page }) => {
  test.setTimeout(90_000);
  // CRM sync's scheduled export runs for the demo's first half hour.
  await openDestination(page, "Data lake (Azure Blob)");
  await segment(page, "Busan shoppers").check();
  await page.getByRole("button", { name: "Activate", exact: true }).click();
  await page.getByRole("button", { name: "Confirm activation" }).click();
  await expect(page.getByRole("table", { name: "Runs" })).toContainText("Busan shoppers");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History" }).click();
  const table = page.getByRole("table", { name: "History" });
  await expect(table).toContainText("Accepted");
  await expect(table.getByRole("row").nth(1)).toContainText("demo");
  await screenshot(page, "history");
  await expectAccessible(page);

  await table.getByRole("link", { name: "Details" }).first().click();
  await expect(page).toHaveURL(/\/history\/[0-9a-f-]{36}$/);
  const runs = page.getByRole("table", { name: "Runs" });
  await expect(runs).toContainText("Succeeded", { timeout: 60_000 });
  // 21,760 profiles, one in forty without an identity to export.
  await expect(runs).toContainText("21,216");
  await screenshot(page, "history-detail");
  await expectAccessible(page);

  // The destination's recent runs say what the run received, activated and left out, and why.
  await openDestination(page, "Data lake (Azure Blob)");
  const recent = page.getByRole("table", { name: "Latest exports of this destination, scheduled and ad hoc" });
  const row = recent.getByRole("row", { name: /Busan shoppers/ });
  await expect(row).toContainText("21,760");
  await expect(row).toContainText("21,216");
  await expect(row).toContainText("544");
  await expect(row).toContainText("ACTIVATION_BATCH-0000-SKIP");
});

test("the history filters by outcome", async ({ page }) => {
  // One record of each kind, made here so that the test does not lean on the others.
  // A QA segment from the end of the list: another run of this test may have one of them busy.
  const bulk = await dataflow(page.request, "Bulk QA export (S3)");
  const statuses: number[] = [];
  for (const id of bulk.segments.slice(-10).reverse()) {
    statuses.push(await activateThroughApi(page.request, { [bulk.id]: [id] }));
    if (statuses.at(-1) === 200) break;
  }
  expect(statuses).toContain(200);
  expect(await activateThroughApi(page.request, { "no-such-dataflow": ["no-such-segment"] })).toBe(422);

  await page.goto("/history");
  const table = page.getByRole("table", { name: "History" });
  await expect(table).toContainText("Accepted");
  await expect(table).toContainText("Rejected");

  // The rows of the unfiltered answer stay on screen until the filtered one arrives, so wait for
  // the rows to change rather than for the table to be there.
  const outcomes = async () => (await table.getByRole("row").allTextContents()).slice(1).map((row) => (row.match(/Accepted|Rejected|Failed|Unknown|Pending/) ?? ["?"])[0]);
  await page.getByLabel("Outcome").selectOption("rejected");
  await expect.poll(async () => [...new Set(await outcomes())]).toEqual(["Rejected"]);
  await expect(page.locator(".results")).toHaveAttribute("aria-busy", "false");

  await page.getByLabel("Outcome").selectOption("accepted");
  await expect.poll(async () => [...new Set(await outcomes())]).toEqual(["Accepted"]);
});

test("the history filters by date, the until date included", async ({ page }) => {
  expect(await activateThroughApi(page.request, { "no-such-dataflow": ["dated-segment"] })).toBe(422);
  const day = 86_400_000;
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - day).toISOString().slice(0, 10);

  await page.goto("/history");
  const table = page.getByRole("table", { name: "History" });
  await expect(table).toContainText("Rejected");
  await page.getByLabel("Until date (included)").fill(yesterday);
  await expect(page.getByText("No activation matches.")).toBeVisible();
  await page.getByLabel("Until date (included)").fill(today);
  await expect(table).toContainText("Rejected");
  await page.getByLabel("From date").fill(today);
  await expect(page.locator(".results")).toHaveAttribute("aria-busy", "false");
  await expect(table).toContainText("Rejected");
});
