// Activations per second through one setup of portals (one SQLite process, or one or three
// replicas on PostgreSQL), run by `cargo xtask bench` once per setup and Platform latency, with
// a fresh emulator each time. Prints one JSON object on its last line.
//   disjoint:  every activation has its own segment: all must be accepted, and more replicas
//              must send more per second (the lock must not serialise them).
//   contended: every activation asks for one of a few segments: exactly one wins each.
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through cargo xtask bench`);
  return value;
};
const portals = env("PORTAL_URLS").split(",");
const token = env("PORTAL_TOKEN");
const count = Number(env("ACTIVATIONS"));
const concurrency = Number(env("CONCURRENCY"));
const emulator = env("EMULATOR_URL");
// A Platform that takes time to answer, as the real one does: then what bounds throughput is
// how many activations can be in progress at once, not the two cores this machine shares.
const latencyMs = Number(process.env.PLATFORM_LATENCY_MS ?? "0");
const CONTENDED_SEGMENTS = 10;
const ADHOCRUN = "/api/platform/data/core/activation/disflowprovider/adhocrun";

async function bulkDestination() {
  const response = await fetch(`${portals[0]}/api/platform/data/foundation/flowservice/flows?property=state==enabled`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const flows = (await response.json()).items;
  const flow = flows.find((f) => f.name === "Bulk QA export (S3)");
  const segments = flow.transformations[0].params.segmentSelectors.selectors.map((s) => s.value.id);
  return { flow: flow.id, segments };
}

// `plans[i]` sent to portal i % n, `concurrency` at a time; statuses counted.
async function send(plans) {
  const statuses = {};
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < plans.length) {
      const i = next++;
      const response = await fetch(`${portals[i % portals.length]}${ADHOCRUN}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ activationInfo: plans[i] }),
      });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { activations: plans.length, seconds: +seconds.toFixed(3), perSecond: +(plans.length / seconds).toFixed(1), statuses };
}

const { flow, segments } = await bulkDestination();
await fetch(`${emulator}/emulator/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ latencyMs }) });
if (segments.length < count + CONTENDED_SEGMENTS) throw new Error(`the bulk destination has ${segments.length} segments; ${count + CONTENDED_SEGMENTS} are needed`);
const disjoint = await send(segments.slice(0, count).map((segment) => ({ [flow]: [segment] })));
if (disjoint.statuses[200] !== count) throw new Error(`disjoint plans: not all accepted: ${JSON.stringify(disjoint.statuses)}`);
const few = segments.slice(count, count + CONTENDED_SEGMENTS);
const contended = await send(Array.from({ length: count }, (_, i) => ({ [flow]: [few[i % few.length]] })));
if (contended.statuses[200] !== CONTENDED_SEGMENTS) throw new Error(`contended plans: ${contended.statuses[200]} won, not one per segment (${CONTENDED_SEGMENTS}): ${JSON.stringify(contended.statuses)}`);
console.log(JSON.stringify({ replicas: portals.length, concurrency, platformLatencyMs: latencyMs, disjoint, contended }));
