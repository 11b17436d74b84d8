import { expect, test } from "@playwright/test";

test("the app renders and both views are reachable by name", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("Ad-hoc Activation Portal");
  await expect(page.getByRole("heading", { name: "Activate", level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/activate$/);

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("heading", { name: "History", level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/history$/);
  await expect(nav.getByRole("link", { name: "History" })).toHaveAttribute("aria-current", "page");

  await nav.getByRole("link", { name: "Activate" }).click();
  await expect(page.getByRole("heading", { name: "Activate", level: 1 })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Activate" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "History" })).not.toHaveAttribute("aria-current", "page");

  // The browser's own back and forward buttons move between the views.
  await page.goBack();
  await expect(page.getByRole("heading", { name: "History", level: 1 })).toBeVisible();
  await page.goForward();
  await expect(page.getByRole("heading", { name: "Activate", level: 1 })).toBeVisible();
});

test("a deep link opens its view directly", async ({ page }) => {
  await page.goto("/history");
  await expect(page.getByRole("heading", { name: "History", level: 1 })).toBeVisible();
  await page.goto("/no-such-page");
  await expect(page.getByRole("heading", { level: 1 })).toContainText(/not found/i);
});

test("the app runs under its Content-Security-Policy without a violation", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto("/activate");
  const policy = response?.headers()["content-security-policy"] ?? "";
  expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(policy).not.toContain("unsafe-inline");
  await expect(page.getByRole("heading", { name: "Activate", level: 1 })).toBeVisible();
  await expect(page.getByRole("button", { name: /Flash sale drop/ })).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("heading", { name: "History", level: 1 })).toBeVisible();
  expect(violations).toEqual([]);
});

test("Activate needs none of the later pages' modules, and a module that cannot be fetched says to reload", async ({ page }) => {
  // As after a deploy: the modules this page was built with are gone from the server.
  const lazy = /\/lazy-[^/]+\.wasm$/;
  await page.route(lazy, (route) => route.fulfill({ status: 404, body: "" }));
  await page.goto("/activate");
  await page.getByRole("button", { name: /Flash sale drop/ }).click();
  await expect(page.getByRole("heading", { name: /Segments: Flash sale drop/ })).toBeVisible();

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("alert")).toContainText("This page could not be loaded");
  // The rest of the app still works.
  await nav.getByRole("link", { name: "Activate" }).click();
  await expect(page.getByRole("button", { name: /Flash sale drop/ })).toBeVisible();

  await nav.getByRole("link", { name: "History" }).click();
  await page.unroute(lazy);
  const fetched: string[] = [];
  page.on("response", (response) => {
    if (lazy.test(response.url()) && response.ok()) fetched.push(response.url());
  });
  await page.getByRole("button", { name: "Reload the page" }).click();
  await expect(page.getByRole("heading", { name: "History", level: 1 })).toBeVisible();
  expect(fetched.length).toBeGreaterThan(0);
});
