// browser.js - Debian's Chromium driven by playwright-core, and small
// waiting helpers (every wait is bounded).
import { chromium } from 'playwright-core';

export const BASE = process.env.PIGEON_WEB_URL || 'http://127.0.0.1:8080';
export const SHOTS = process.env.PIGEON_WEB_SHOTS || '/tmp';
export const WAIT_MS = 15000;

// The flags a headless Chromium needs on a machine without a network or a
// GPU, plus a fake microphone that MediaRecorder can record.
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
];

// Playwright gives every launch a fresh, empty profile (--user-data-dir in
// a new folder under TMPDIR, which run.sh points into its temp folder).
export function launch() {
  return chromium.launch({
    executablePath: process.env.PIGEON_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 30000,
  });
}

export async function newUserPage(browser, viewport = { width: 1200, height: 800 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  await context.grantPermissions(['microphone'], { origin: BASE });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('dialog', (d) => d.accept());
  return page;
}

// Registers behind the scenes: the person only types a nickname.
export async function register(page, nickname) {
  await page.goto(BASE);
  await page.getByLabel('Nickname', { exact: true }).fill(nickname);
  await page.getByRole('button', { name: 'Start chatting' }).click();
  await page.locator('#me-name', { hasText: nickname }).waitFor();
  await page.locator('#conn.online').waitFor();
  const username = await page.locator('#me-username').textContent();
  const account = await page.evaluate(() => JSON.parse(localStorage.getItem('pigeon.account')));
  return { username, id: account.userId, nickname };
}

export async function tab(page, name) {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

export function message(page, text) {
  return page.locator('#messages li.msg', { hasText: text });
}

export async function waitFor(page, fn, arg) {
  return page.waitForFunction(fn, arg, { timeout: WAIT_MS });
}
