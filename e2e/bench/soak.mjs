// A bounded soak: a few hundred virtual users load the pickers, poll the history and activate
// against `adhoc-portal demo` while the emulator injects 5xx errors, latency spikes and one IMS
// outage. At the end: every activation answered 200 is in the history exactly once, and the
// Platform accepted no activation twice. Exits non-zero if anything was lost or doubled.
import * as fs from "node:fs";
import * as path from "node:path";

const portal = process.env.PORTAL_URL;
const emulator = process.env.PORTAL_EMULATOR_URL;
const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const out = process.env.BENCH_JSON;
const USERS = 300;
const PLATFORM = `${portal}/api/platform`;

const started = Date.now();
const deadline = started + seconds * 1000;
const latencies = { picker: [], history: [], activation: [] };
const outcomes = {};
const answered = [];
const count = (kind) => (outcomes[kind] = (outcomes[kind] ?? 0) + 1);
const percentile = (values, p) => (values.length ? [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] : 0);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed(kind, request) {
  const t0 = performance.now();
  try {
    const response = await request();
    latencies[kind].push(performance.now() - t0);
    let code = "";
    if (!response.ok) {
      code = (await response.json().catch(() => ({}))).code ?? "";
    }
    count(`${kind} ${response.status}${code ? " " + code : ""}`);
    return response;
  } catch (error) {
    count(`${kind} transport error`);
    return null;
  }
}

const flows = await (await fetch(`${PLATFORM}/data/foundation/flowservice/flows?property=state==enabled`)).json();
const choices = flows.items
  .filter((f) => !f.name.includes("streaming"))
  .flatMap((f) => f.transformations[0].params.segmentSelectors.selectors.map((s) => [f.id, s.value.id]));

async function user(n) {
  await sleep(n * 3);
  while (Date.now() < deadline) {
    const roll = Math.random();
    if (roll < 0.45) {
      await timed("picker", () => fetch(`${portal}/api/sandbox-facts`));
      await timed("picker", () => fetch(`${portal}/api/audience-sizes`));
    } else if (roll < 0.9) {
      const page = await timed("history", () => fetch(`${portal}/api/history?limit=20`));
      const first = page?.ok ? (await page.json()).items[0] : null;
      if (first) await timed("history", () => fetch(`${portal}/api/history/${first.id}`));
    } else {
      const [dataflow, segment] = choices[Math.floor(Math.random() * choices.length)];
      const response = await timed("activation", () =>
        fetch(`${PLATFORM}/data/core/activation/disflowprovider/adhocrun`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": `soak-${n}-${Date.now()}-${Math.random()}` },
          body: JSON.stringify({ activationInfo: { [dataflow]: [segment] } }),
        }),
      );
      if (response?.status === 200) answered.push(response.headers.get("location").split("/").pop());
    }
    await sleep(200 + Math.random() * 300);
  }
}

async function admin(method, route, body) {
  await fetch(`${emulator}/emulator/${route}`, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
}

// The fault timeline, in fractions of the run.
async function faults() {
  const at = (fraction) => sleep(Math.max(0, started + fraction * seconds * 1000 - Date.now()));
  await at(0.15);
  await admin("PUT", "faults", { errorRates: { "*": 0.2 }, errorStatus: 503 });
  await at(0.35);
  await admin("PUT", "faults", { latencyMs: 400 });
  await at(0.5);
  await admin("DELETE", "faults");
  await at(0.6);
  await admin("PUT", "faults", { imsOutage: true });
  await admin("POST", "tokens/expire");
  await at(0.7);
  await admin("DELETE", "faults");
}

await Promise.all([faults(), ...Array.from({ length: USERS }, (_, n) => user(n))]);
await admin("DELETE", "faults");

// The history, all of it.
const seen = new Map();
let cursor = null;
do {
  const page = await (await fetch(`${portal}/api/history?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)).json();
  for (const record of page.items) seen.set(record.id, [...(seen.get(record.id) ?? []), record]);
  cursor = page.nextCursor;
} while (cursor);
const lost = answered.filter((id) => !seen.has(id));
const doubled = [...seen.values()].filter((records) => records.length > 1).map((records) => records[0].id);
const notAccepted = answered.filter((id) => seen.get(id)?.[0].outcome !== "accepted");

// What the Platform accepted: each portal request id at most once.
const log = (await (await fetch(`${emulator}/emulator/requests`)).json()).requests;
const acceptedPosts = log.filter((r) => r.route.endsWith("/adhocrun") && r.status === 200);
const byRequest = new Map();
for (const post of acceptedPosts) byRequest.set(post.requestId, (byRequest.get(post.requestId) ?? 0) + 1);
const sentTwice = [...byRequest.entries()].filter(([, n]) => n > 1).map(([id]) => id);
const acceptedRecords = [...seen.values()].filter((records) => records[0].outcome === "accepted").length;

const report = {
  seconds,
  users: USERS,
  requests: Object.values(outcomes).reduce((a, b) => a + b, 0),
  outcomes,
  latency_ms: Object.fromEntries(
    Object.entries(latencies).map(([kind, values]) => [kind, { p50: percentile(values, 0.5), p95: percentile(values, 0.95), p99: percentile(values, 0.99), n: values.length }]),
  ),
  activations_answered_200: answered.length,
  history_records: seen.size,
  platform_accepted_posts: acceptedPosts.length,
  accepted_records: acceptedRecords,
  lost,
  doubled,
  not_accepted: notAccepted,
  sent_twice: sentTwice,
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(report, null, 2));
console.log(`soak: ${USERS} users for ${seconds}s, ${report.requests} requests`);
for (const [kind, n] of Object.entries(outcomes).sort()) console.log(`  ${kind.padEnd(48)} ${n}`);
for (const [kind, l] of Object.entries(report.latency_ms)) console.log(`  latency ${kind.padEnd(10)} p50 ${l.p50.toFixed(0)} ms  p95 ${l.p95.toFixed(0)} ms  p99 ${l.p99.toFixed(0)} ms  (${l.n})`);
console.log(`  activations answered 200: ${answered.length}; in the history: ${answered.length - lost.length}; accepted records ${acceptedRecords}; Platform accepted ${acceptedPosts.length} POSTs`);
const failures = [
  lost.length && `${lost.length} answered activations missing from the history`,
  doubled.length && `${doubled.length} history records listed twice`,
  notAccepted.length && `${notAccepted.length} answered activations not recorded as accepted`,
  sentTwice.length && `${sentTwice.length} activations accepted twice by the Platform`,
  acceptedPosts.length !== acceptedRecords && `the Platform accepted ${acceptedPosts.length} activations, the history says ${acceptedRecords}`,
].filter(Boolean);
if (failures.length) {
  console.log(`soak FAILED: ${failures.join("; ")}`);
  process.exit(1);
}
console.log("soak passed: nothing lost, nothing doubled");
