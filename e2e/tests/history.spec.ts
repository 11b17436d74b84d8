import { expect, test } from "@playwright/test";
import * as fs from "node:fs";
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
  const first = table.getByRole("row").nth(1);
  await expect(first).toContainText("demo");
  // Names, not ids: the destination and the segment as a marketer knows them.
  await expect(first).toContainText("Data lake (Azure Blob)");
  await expect(first).toContainText("부산 고객 / Busan shoppers");
  await expect(first).not.toContainText(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  await screenshot(page, "history");
  await expectAccessible(page);

  await table.getByRole("link", { name: "Details" }).first().click();
  await expect(page).toHaveURL(/\/history\/[0-9a-f-]{36}$/);
  const runs = page.getByRole("table", { name: "Runs" });
  await expect(runs).toContainText("Succeeded", { timeout: 60_000 });
  // 21,760 profiles, one in forty without an identity to export.
  await expect(runs).toContainText("21,216");
  await expect(runs).toContainText("Data lake (Azure Blob)");
  // Each order's duration and records, drawn as bars with the figures as their name.
  await expect(runs.getByRole("img", { name: /^Duration \d+s, 21,216 Records$/ })).toBeVisible();
  // The detail names things, with each id beside its name and a button that copies it.
  const plan = page.locator("ul.plan-names");
  await expect(plan).toContainText("Data lake (Azure Blob)");
  await expect(plan).toContainText("부산 고객 / Busan shoppers");
  await expect(plan.locator("code.id")).toHaveCount(2);
  await expect(page.getByRole("button", { name: /^Copy the id / })).toHaveCount(2);
  await screenshot(page, "history-detail");
  await expectAccessible(page);

  // Back in the list, the row says how the runs went, in English and in Korean.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("table", { name: "History" }).getByRole("row").nth(1)).toContainText("1 / 1 succeeded", { timeout: 45_000 });
  await page.getByLabel("Runs", { exact: true }).selectOption("succeeded");
  await expect(page).toHaveURL(/runs=succeeded/);
  await expect(page.getByRole("table", { name: "History" }).getByRole("row").nth(1)).toContainText("Busan shoppers");
  await page.getByLabel("Language").selectOption("ko");
  const koRow = page.getByRole("table", { name: "기록" }).getByRole("row").nth(1);
  await expect(koRow).toContainText("1 / 1 성공");
  await expect(koRow).toContainText("부산 고객");
  await screenshot(page, "history-ko");
  await page.getByLabel("언어").selectOption("en");

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

test("the history's filters live in the address and choose destinations by name", async ({ page }) => {
  const azure = await dataflow(page.request, "Data lake (Azure Blob)");
  await page.goto("/history");
  await page.getByLabel("Destination", { exact: true }).selectOption({ label: "Data lake (Azure Blob)" });
  await expect(page).toHaveURL(new RegExp(`destination=${azure.id}`));
  await page.getByLabel("Segment (name or id)").fill("busan");
  await page.getByLabel("Segment (name or id)").press("Enter");
  await page.getByLabel("Segment (name or id)").blur();
  await expect(page).toHaveURL(/segment=busan/);
  // The address, opened anew, shows the same filtered view.
  await page.reload();
  await expect(page.getByLabel("Destination", { exact: true })).toHaveValue(azure.id);
  await expect(page.getByLabel("Segment (name or id)")).toHaveValue("busan");
  const rows = page.getByRole("table", { name: "History" }).getByRole("row");
  await expect(rows.nth(1)).toContainText("Busan shoppers");
});

test("the history downloads as CSV with the filters shown", async ({ page }) => {
  await page.goto("/history?outcome=accepted");
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download CSV (these filters)" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("adhoc-activation-history.csv");
  const text = fs.readFileSync(await file.path(), "utf8").replace(/^\uFEFF/, "");
  const [header, ...rows] = text.trim().split("\r\n");
  expect(header.split(",").slice(0, 4)).toEqual(["id", "created_at_utc", "user", "outcome"]);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(row).toContain(",accepted,");
});

test.describe("a user in Seoul", () => {
  test.use({ timezoneId: "Asia/Seoul" });

  test("reads times in Korean time with UTC beside, days by the Korean calendar, and the charts by name", async ({ page }) => {
    const bulk = await dataflow(page.request, "Bulk QA export (S3)");
    // Rejected or accepted, it is a record of today.
    await activateThroughApi(page.request, { [bulk.id]: [bulk.segments[0], bulk.segments[0]] });
    await page.goto("/history");
    await expect(page.getByText("sandbox prod")).toBeVisible();
    const time = page.getByRole("table", { name: "History" }).getByRole("row").nth(1).locator("time");
    await expect(time).toContainText("(UTC+9)");
    const utc = await time.getAttribute("title");
    const machine = await time.getAttribute("datetime");
    expect(utc).toMatch(/ UTC$/);
    // The local time is nine hours ahead of the UTC one.
    const local = new Date(machine!).toLocaleString("sv-SE", { timeZone: "Asia/Seoul" }).slice(0, 16);
    await expect(time).toContainText(local);

    const today = new Date().toLocaleDateString("en-CA", { timeZone: "Asia/Seoul" });
    await page.getByLabel("From date").fill(today);
    await page.getByLabel("Until date (included)").fill(today);
    await page.getByLabel("Until date (included)").blur();
    await expect(page).toHaveURL(new RegExp(`from=${today}`));
    await expect(page.getByRole("table", { name: "History" }).getByRole("row").nth(1)).toBeVisible();

    await expect(page.getByRole("img", { name: "Activations per day: accepted, rejected, other" })).toBeVisible();
    await expect(page.getByRole("img", { name: "Profiles exported per day" })).toBeVisible();
    await expect(page.getByRole("table", { name: "Activations per day: accepted, rejected, other" })).toContainText(today);
    await screenshot(page, "history-seoul");
  });
});

test("a record's plan opens again in Activate for review", async ({ page }) => {
  const azure = await dataflow(page.request, "Data lake (Azure Blob)");
  await activateThroughApi(page.request, { [azure.id]: [azure.segments[0]] });
  await page.goto("/history");
  await page.getByRole("table", { name: "History" }).getByRole("link", { name: "Details" }).first().click();
  await page.getByRole("link", { name: "Activate again" }).click();
  await expect(page).toHaveURL(/\/activate\?again=/);
  await expect(page.getByText("The plan of an earlier activation is loaded")).toBeVisible();
  await expect(page.getByText("1 / 80 entries")).toBeVisible();
  await expect(page.locator(".plan-group")).toContainText("Data lake (Azure Blob)");
});
