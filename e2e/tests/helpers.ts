import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";

export const emulatorUrl = process.env.PORTAL_EMULATOR_URL ?? "";
export const dataDir = process.env.PORTAL_DATA_DIR ?? "";

/** Opens a destination and returns the segment checkbox whose label has `segment`. */
export async function openDestination(page: Page, destination: string) {
  await page.goto("/activate");
  await page.getByRole("button", { name: new RegExp(escape(destination)) }).click();
  await expect(page.getByRole("heading", { name: new RegExp(`Segments: ${escape(destination)}`) })).toBeVisible();
}

export function segment(page: Page, name: string) {
  return page.getByRole("checkbox", { name: new RegExp(escape(name)) });
}

export function escape(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A scheduled profile export job in the emulator, as if the daily export were running. */
export async function setScheduledExportRunning(running: boolean) {
  const url = `${emulatorUrl}/emulator/export-jobs`;
  const response = running
    ? await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "PROCESSING" }) })
    : await fetch(url, { method: "DELETE" });
  expect(response.ok).toBeTruthy();
}

export async function screenshot(page: Page, name: string) {
  const dir = path.join("test-results", "screens");
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** No serious or critical accessibility violation on the current view. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

/** Presses Tab until the focused element has `name` as its accessible name (bounded). */
export async function tabTo(page: Page, name: RegExp, limit = 200) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return "";
      const labelled = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
      return (el.getAttribute("aria-label") ?? labelled ?? el.textContent ?? "").trim();
    });
    if (name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

/** The files an activation wrote for a destination folder. */
export function exportedFiles(folder: string): string[] {
  const dir = path.join(dataDir, "exports", folder);
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
}

const ADHOCRUN = "/api/platform/data/core/activation/disflowprovider/adhocrun";

/** Sends a plan through the portal's API, as the CLI does, and returns the HTTP status. */
export async function activateThroughApi(request: APIRequestContext, activationInfo: Record<string, string[]>) {
  const response = await request.post(ADHOCRUN, { data: { activationInfo } });
  return response.status();
}

/** The id of the dataflow named `name` and the ids of its mapped segments, from the Platform. */
export async function dataflow(request: APIRequestContext, name: string) {
  const response = await request.get("/api/platform/data/foundation/flowservice/flows?property=inheritedAttributes.properties.isDestinationFlow==true&limit=100");
  expect(response.ok()).toBeTruthy();
  const flow = (await response.json()).items.find((f: { name: string }) => f.name === name);
  expect(flow, `a dataflow named ${name}`).toBeDefined();
  const segments: string[] = flow.transformations[0].params.segmentSelectors.selectors.map((s: { value: { id: string } }) => s.value.id);
  return { id: flow.id as string, segments };
}

/** Loads Platform entities of any shape into the emulator; `clearLoaded` removes them again. */
export async function loadIntoPlatform(entities: { flows?: unknown[]; runs?: unknown[]; exportJobs?: unknown[] }) {
  const response = await fetch(`${emulatorUrl}/emulator/entities`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(entities),
  });
  expect(response.ok).toBeTruthy();
}

export async function clearLoaded() {
  const response = await fetch(`${emulatorUrl}/emulator/entities`, { method: "DELETE" });
  expect(response.ok).toBeTruthy();
}
