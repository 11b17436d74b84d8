import { expect, test } from "@playwright/test";
import { expectAccessible, openDestination, screenshot, segment } from "./helpers";

test("an activation appears in the history with its runs in the detail", async ({ page }) => {
  test.setTimeout(90_000);
  await openDestination(page, "CRM sync (SFTP)");
  await segment(page, "Store pickup users").check();
  await page.getByRole("button", { name: "Activate", exact: true }).click();
  await page.getByRole("button", { name: "Confirm activation" }).click();
  await expect(page.getByRole("table", { name: "Runs" })).toContainText("Store pickup users");

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
  await expect(runs).toContainText("7,777");
  await screenshot(page, "history-detail");
  await expectAccessible(page);
});

test("the history filters by outcome", async ({ page }) => {
  await page.goto("/history");
  await page.getByLabel("Outcome").selectOption("rejected");
  await expect(page.getByText("No activation matches.").or(page.getByRole("table", { name: "History" }))).toBeVisible();
  const rows = page.getByRole("table", { name: "History" }).getByRole("row");
  for (const text of await rows.allTextContents()) {
    expect(text).not.toContain("Accepted");
  }
});
