import { expect, test, type Page } from "@playwright/test";
import { clearLoaded, dataflow, loadIntoPlatform, openDestination, screenshot, segment, setScheduledExportRunning } from "./helpers";

async function expectBlocked(page: Page, violation: RegExp) {
  await expect(page.locator(".violations")).toContainText(violation);
  await expect(page.getByRole("button", { name: "Activate", exact: true })).toBeDisabled();
  await expect(page.getByText("Fix the problems listed in the plan first.")).toBeVisible();
}

test("more than 80 entries cannot be activated, and why stays in view", async ({ page }) => {
  await page.setViewportSize({ width: 1300, height: 900 });
  await openDestination(page, "Bulk QA export (S3)");
  await page.getByRole("button", { name: "Select all matching" }).click();
  await expect(page.getByText("90 / 80 entries")).toBeVisible();
  await expectBlocked(page, /90 destination×segment entries; one job allows at most 80/);
  const reason = page.locator(".violations li").first();
  const inView = async () => {
    const box = await reason.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(900);
  };
  await inView();
  // Scrolled down to the last entries, the reason and the button are still in view.
  await page.locator(".plan-group li").last().scrollIntoViewIfNeeded();
  await inView();
  await expect(page.getByRole("button", { name: "Activate", exact: true })).toBeInViewport();
  // The entries are grouped per destination, and a whole destination is removed at once.
  await page.getByRole("button", { name: "Remove all of this destination (Bulk QA export (S3))" }).click();
  await expect(page.getByText("0 / 80 entries")).toBeVisible();
  await screenshot(page, "guardrail-81");
});

test("a segment with a run in progress is marked and blocked", async ({ page }) => {
  await openDestination(page, "CRM sync (SFTP)");
  const busy = page.locator("li.segment", { hasText: "Loyalty gold members" });
  await expect(busy).toContainText("Run in progress");
  await segment(page, "Loyalty gold members").check();
  await expectBlocked(page, /already has a run in progress/);
});

test("a segment running on another destination is marked before anything is pressed", async ({ page }) => {
  // "Loyalty gold members" is busy on CRM sync; Flash sale drop maps it too.
  await openDestination(page, "Flash sale drop (S3)");
  await expect(page.locator("li.segment", { hasText: "Loyalty gold members" })).toContainText("Run in progress");
  await segment(page, "Loyalty gold members").check();
  await expectBlocked(page, /already has a run in progress/);
});

test("a dataflow processing its scheduled export holds its other segments", async ({ page }) => {
  await openDestination(page, "CRM sync (SFTP)");
  await expect(page.locator("li.segment", { hasText: "Coffee subscription" })).toContainText("Blocked by a scheduled export");
  await segment(page, "Coffee subscription").check();
  await expectBlocked(page, /processing a run the portal did not start/);
});

test("a destination shows each segment's schedule and its recent runs", async ({ page }) => {
  await openDestination(page, "CRM sync (SFTP)");
  // Closed at first (a destination may map thousands of segments), drawn when opened.
  await page.getByText("Each segment's schedule on this destination (10)").click();
  const schedules = page.getByRole("table", { name: "Each segment's schedule on this destination" });
  const coffee = schedules.getByRole("row", { name: /Coffee subscription/ });
  await expect(coffee).toContainText("DAILY");
  await expect(coffee).toContainText("DAILY_FULL_EXPORT");
  await expect(coffee).toContainText(/\d\d:00 UTC/);
  await expect(coffee).toContainText("%DESTINATION%_%SEGMENT_ID%");
  const runs = page.getByRole("table", { name: "Latest exports of this destination, scheduled and ad hoc" });
  await expect(runs).toContainText("Loyalty gold members");
  await expect(runs).toContainText("In progress");
  await screenshot(page, "destination-detail");
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

/** A destination dataflow as Flow Service writes one, mapping `segmentId`. */
function loadedFlow(id: string, name: string, state: string, connectionSpec: string, segmentId: string, batch: boolean) {
  const value: Record<string, unknown> = { id: segmentId, name: "Loaded audience", createTime: "1600000000" };
  if (batch) value.exportMode = "DAILY_FULL_EXPORT";
  return {
    id, name, state,
    flowSpec: { id: "71471eba-b620-49e4-90fd-23f1fa0174d8", version: "1.0" },
    inheritedAttributes: {
      properties: { isDestinationFlow: true },
      targetConnections: [{ id: "tc", connectionSpec: { id: connectionSpec, version: "1.0" } }],
    },
    transformations: [{ name: "GeneralTransform", params: { segmentSelectors: { selectors: [{ type: "PLATFORM_SEGMENT", value }] } } }],
  };
}

test("dataflows the portal cannot activate or classify are shown, not hidden", async ({ page, request }) => {
  const { segments } = await dataflow(request, "Flash sale drop (S3)");
  await loadIntoPlatform({
    flows: [
      loadedFlow("3b1f7c2e-8d4a-4f6b-9e21-5a7c0d9e8f10", "Loaded draft export", "draft", "4fce964d-3f37-408f-9778-e597338a21ee", segments[0], true),
      loadedFlow("9a2e6d4c-1b3f-4c5d-8e7f-0a1b2c3d4e5f", "Loaded custom partner", "enabled", "c0ffee00-0000-4000-8000-000000000001", segments[0], false),
    ],
  });
  try {
    await page.goto("/activate");
    const custom = page.getByRole("button", { name: /Loaded custom partner/ });
    await expect(custom).toContainText("Unrecognised destination");
    await expect(custom).toContainText("the Platform decides when you activate");
    const draft = page.getByRole("button", { name: /Loaded draft export/ });
    await expect(draft).toContainText("draft");
    await draft.click();
    await segment(page, "Loaded audience").check();
    await expectBlocked(page, /"draft", not enabled/);
    await screenshot(page, "loaded-dataflows");
  } finally {
    await clearLoaded();
  }
});

test("an export job in a status the portal does not know is shown and blocks nothing", async ({ page }) => {
  await loadIntoPlatform({
    exportJobs: [{ id: "6c8f7e1a-0b1d-4c5e-9d2f-1a2b3c4d5e6f", status: "CANCELLING", schema: { name: "_xdm.context.profile" }, creationTime: Date.now() + 3_600_000 }],
  });
  try {
    await openDestination(page, "Flash sale drop (S3)");
    await expect(page.getByText(/Latest profile export job: 6c8f7e1a-0b1d-4c5e-9d2f-1a2b3c4d5e6f · CANCELLING \(a status the portal does not know/)).toBeVisible();
    await segment(page, "Summer VIP shoppers").check();
    await expect(page.getByText("This plan passes every guardrail.")).toBeVisible();
  } finally {
    await clearLoaded();
  }
});
