import { expect, test } from "@playwright/test";
import { screenshot } from "./helpers";

test("the language can be switched to Korean and is remembered", async ({ page }) => {
  await page.goto("/activate");
  await expect(page.getByRole("heading", { name: "Activate", level: 1 })).toBeVisible();
  await page.getByLabel("Language").selectOption("ko");
  await expect(page.getByRole("heading", { name: "활성화", level: 1 })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "ko");
  await page.reload();
  await expect(page.getByRole("heading", { name: "활성화", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: /Flash sale drop/ }).click();
  await expect(page.locator("li.segment", { hasText: "Price-drop watchers" })).toContainText("일정 범위 밖");
  // Korean breaks between words only: no line of a segment name starts inside a word.
  await expect(page.locator("html")).toHaveCSS("word-break", "keep-all");
  await page.setViewportSize({ width: 1300, height: 900 });
  await screenshot(page, "activate-ko");
  await page.getByLabel("언어").selectOption("en");
  await expect(page.getByRole("heading", { name: "Activate", level: 1 })).toBeVisible();
});
