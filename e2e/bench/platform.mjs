// The portal against "nginx in front of the API": forwarding throughput and latency in front of an
// upstream that costs nothing (nginx serving fixed 1 KB and 1 MB answers at the Platform's paths),
// the token on a cold start, polling fan-in, and an 80-entry activation against the emulator.
// Run by `cargo xtask bench`.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through cargo xtask bench`);
  return value;
};
const emulator = env("EMULATOR_URL");
const portal = env("PORTAL_URL");
const coldPortal = env("PORTAL_COLD_URL");
const fixed = env("FIXED_URL");
const fixedPortal = env("FIXED_PORTAL_URL");
const fixedNginx = env("FIXED_NGINX_URL");
// "1KB=/data/...,1MB=/data/...": the fixed answers and their paths.
const sizes = Object.fromEntries(env("FIXED_SIZES").split(",").map((pair) => pair.split("=")));
const portalToken = env("PORTAL_TOKEN");
const out = env("BENCH_JSON");
const ORG = "5555467B5D8013E50A494220@AdobeOrg";
const FLOWS = "/data/foundation/flowservice/flows?limit=5";
const ROUNDS = 5;
const SECONDS = 2;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function imsToken() {
  const body = new URLSearchParams({ grant_type: "client_credentials", client_id: "demo-client-id", client_secret: "demo-client-secret", scope: "openid" });
  const response = await fetch(`${emulator}/ims/token/v3`, { method: "POST", body });
  return (await response.json()).access_token;
}

async function log() {
  return (await (await fetch(`${emulator}/emulator/requests`)).json()).requests;
}

function toMs(text) {
  const match = /([\d.]+)(us|ms|s)/.exec(text);
  const value = parseFloat(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

function wrk(url, connections, headers) {
  const args = ["-t", String(Math.min(2, connections)), "-c", String(connections), "-d", `${SECONDS}s`, "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const text = execFileSync("wrk", [...args, url], { encoding: "utf8" });
  const rps = parseFloat(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(text)[1]);
  const p99 = toMs(/\s99%\s+(\S+)/.exec(text)[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return { rps, p50, p99, non2xx: errors ? Number(errors[1]) : 0 };
}

const token = await imsToken();
const emulatorHeaders = { Authorization: `Bearer ${token}`, "x-api-key": "demo-client-id", "x-gw-ims-org-id": ORG, "x-sandbox-name": "prod" };
const portalHeaders = { Authorization: `Bearer ${portalToken}` };
const spread = (values) => ({ min: Math.min(...values), max: Math.max(...values) });

// Forwarding: direct to the fixed upstream, through the portal, through nginx; medians of ROUNDS
// rounds with their spread. Added latency is the p50 over the direct call's.
const forwarding = {};
for (const [size, path] of Object.entries(sizes)) {
  const targets = {
    direct: { url: `${fixed}${path}`, headers: {} },
    portal: { url: `${fixedPortal}/api/platform${path}`, headers: portalHeaders },
    nginx: { url: `${fixedNginx}${path}`, headers: {} },
  };
  await fetch(targets.portal.url, { headers: portalHeaders });
  forwarding[size] = {};
  for (const connections of [1, 16, 128]) {
    const point = {};
    for (const [name, target] of Object.entries(targets)) {
      const rounds = Array.from({ length: ROUNDS }, () => wrk(target.url, connections, target.headers));
      point[name] = {
        rps: median(rounds.map((r) => r.rps)),
        rps_spread: spread(rounds.map((r) => r.rps)),
        p50_ms: median(rounds.map((r) => r.p50)),
        p50_spread_ms: spread(rounds.map((r) => r.p50)),
        p99_ms: median(rounds.map((r) => r.p99)),
        non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
      };
    }
    point.portal_added_p50_ms = point.portal.p50_ms - point.direct.p50_ms;
    point.nginx_added_p50_ms = point.nginx.p50_ms - point.direct.p50_ms;
    point.rps_ratio_portal_to_nginx = point.portal.rps / point.nginx.rps;
    point.goal_met = point.portal_added_p50_ms <= point.nginx_added_p50_ms && point.portal.rps >= point.nginx.rps;
    forwarding[size][connections] = point;
  }
}

// Token: 1,000 concurrent requests on a portal that has never fetched one.
const imsBefore = (await log()).filter((r) => r.route === "POST /ims/token/v3").length;
const cold = await Promise.all(Array.from({ length: 1000 }, () => fetch(`${coldPortal}/api/platform${FLOWS}`, { headers: portalHeaders }).then((r) => r.status)));
const imsCalls = (await log()).filter((r) => r.route === "POST /ims/token/v3").length - imsBefore;

// The QA destination's segments, in disjoint sets for the activations below.
const flows = await (await fetch(`${portal}/api/platform/data/foundation/flowservice/flows?property=inheritedAttributes.properties.isDestinationFlow==true`, { headers: portalHeaders })).json();
const qa = flows.items.find((f) => f.name === "Bulk QA export (S3)");
const segments = qa.transformations[0].params.segmentSelectors.selectors.map((s) => s.value.id);
let next = 0;
const take = (n) => {
  if (next + n > segments.length) throw new Error(`the QA destination has ${segments.length} segments; the benchmark needs more`);
  const chosen = segments.slice(next, next + n);
  next += n;
  return chosen;
};

// Activation: 80 entries through the portal (guardrail facts included), then (after the
// polling below) directly. A run started directly is one the portal did not start: the portal
// rightly holds that dataflow until it ends, so the direct rounds come last.
const activation = { portal_ms: [], direct_ms: [] };
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  const response = await fetch(`${portal}/api/platform/data/core/activation/disflowprovider/adhocrun`, {
    method: "POST", headers: { ...portalHeaders, "content-type": "application/json" }, body: JSON.stringify({ activationInfo: { [qa.id]: take(80) } }),
  });
  if (response.status !== 200) throw new Error(`portal activation: ${response.status} ${await response.text()}`);
  activation.portal_ms.push(performance.now() - started);
}

// Polling fan-in: 100 clients poll the detail of the same 20 activations every second for 30 s.
const activations = [];
for (const id of take(20)) {
  const response = await fetch(`${portal}/api/platform/data/core/activation/disflowprovider/adhocrun`, {
    method: "POST", headers: { ...portalHeaders, "content-type": "application/json" }, body: JSON.stringify({ activationInfo: { [qa.id]: [id] } }),
  });
  activations.push(response.headers.get("location"));
}
const runCallsBefore = (await log()).filter((r) => r.route === "GET /data/foundation/flowservice/runs/{id}").length;
const pollSeconds = 30;
let polls = 0;
const client = async () => {
  for (let second = 0; second < pollSeconds; second++) {
    const tick = performance.now();
    // One connection per client, as a browser tab polls: 100 clients stay within the portal's
    // connection limit.
    for (const location of activations) {
      await (await fetch(`${portal}${location}`, { headers: portalHeaders })).arrayBuffer();
      polls++;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (performance.now() - tick))));
  }
};
await Promise.all(Array.from({ length: 100 }, client));
const runCalls = (await log()).filter((r) => r.route === "GET /data/foundation/flowservice/runs/{id}").length - runCallsBefore;

for (let round = 0; round < 3; round++) {
  const started = performance.now();
  const response = await fetch(`${emulator}/data/core/activation/disflowprovider/adhocrun`, {
    method: "POST", headers: { ...emulatorHeaders, "content-type": "application/json", accept: "application/vnd.adobe.adhoc.activation+json; version=2" },
    body: JSON.stringify({ activationInfo: { [qa.id]: take(80) } }),
  });
  if (response.status !== 200) throw new Error(`direct activation: ${response.status} ${await response.text()}`);
  activation.direct_ms.push(performance.now() - started);
}

const figures = {
  forwarding,
  token_cold_start: { requests: 1000, ok: cold.filter((s) => s === 200).length, ims_calls: imsCalls },
  polling_fan_in: { clients: 100, activations: 20, seconds: pollSeconds, polls, upstream_run_calls: runCalls, per_run_per_second: runCalls / (20 * pollSeconds) },
  activation_80_entries: { portal_ms: median(activation.portal_ms), direct_ms: median(activation.direct_ms) },
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(figures, null, 2));

const row = (name, f) => `${name.padEnd(7)} ${f.rps.toFixed(0).padStart(8)} req/s (${f.rps_spread.min.toFixed(0)}-${f.rps_spread.max.toFixed(0)})  p50 ${f.p50_ms.toFixed(3).padStart(7)} ms (${f.p50_spread_ms.min.toFixed(3)}-${f.p50_spread_ms.max.toFixed(3)})  p99 ${f.p99_ms.toFixed(2).padStart(7)} ms${f.non2xx ? `  (${f.non2xx} non-2xx)` : ""}`;
for (const [size, points] of Object.entries(forwarding)) {
  for (const [connections, f] of Object.entries(points)) {
    console.log(`forwarding ${size} answers, ${connections} connection(s), median (and spread) of ${ROUNDS} x ${SECONDS}s:`);
    for (const name of ["direct", "portal", "nginx"]) console.log(`  ${row(name, f[name])}`);
    console.log(`  added p50: portal ${f.portal_added_p50_ms.toFixed(3)} ms, nginx ${f.nginx_added_p50_ms.toFixed(3)} ms; throughput portal/nginx x${f.rps_ratio_portal_to_nginx.toFixed(2)}; goal ${f.goal_met ? "met" : "missed"}`);
  }
}
console.log(`token cold start: 1000 concurrent requests, ${figures.token_cold_start.ok} answered 200, ${imsCalls} IMS call(s)`);
console.log(`polling fan-in: ${polls} polls by 100 clients of 20 activations over ${pollSeconds}s -> ${runCalls} upstream run calls = ${figures.polling_fan_in.per_run_per_second.toFixed(2)} per run per second`);
console.log(`activation of 80 entries: portal ${figures.activation_80_entries.portal_ms.toFixed(1)} ms (guardrail facts included), direct ${figures.activation_80_entries.direct_ms.toFixed(1)} ms (median of 3)`);
// Keep-alive sockets must not keep the benchmark waiting once its figures are written.
process.exit(0);
