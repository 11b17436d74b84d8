//! `cargo bench -p shared`: checking a full plan against a large sandbox, and parsing a full
//! flow list page. Both run on every keystroke in the browser and every activation in the proxy.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use shared::aep::adhoc::ActivationInfo;
use shared::aep::flow::{Flow, FlowList};
use shared::guardrails::{Limits, Snapshot, check};
use shared::ids::{DataflowId, SegmentId};
use shared::time::{Date, EpochMillis};

const S3: &str = "4fce964d-3f37-408f-9778-e597338a21ee";
const DATAFLOWS: usize = 100;
const SEGMENTS: usize = 4_000;
const SEGMENTS_PER_DATAFLOW: usize = 250;

fn flow_json(index: usize) -> serde_json::Value {
    let selectors: Vec<_> = (0..SEGMENTS_PER_DATAFLOW)
        .map(|j| {
            let segment = (index * 37 + j) % SEGMENTS;
            json!({"type": "PLATFORM_SEGMENT", "value": {
                "id": format!("segment-{segment:05}"), "name": format!("Segment {segment}"),
                "filenameTemplate": "%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmmss)%",
                "exportMode": "DAILY_FULL_EXPORT",
                "schedule": {"frequency": "DAILY", "triggerType": "SCHEDULED", "startDate": "2026-01-01", "startTime": "20:00"},
                "createTime": "1767225600", "updateTime": "1767225600"}})
        })
        .collect();
    json!({
        "id": format!("dataflow-{index:03}"), "name": format!("Destination {index}"), "state": "enabled",
        "createdAt": 1767225600000i64, "updatedAt": 1767225600000i64,
        "flowSpec": {"id": "269ba276-16fc-47db-92b0-c1049a3c131f", "version": "1.0"},
        "inheritedAttributes": {
            "properties": {"isDestinationFlow": true},
            "targetConnections": [{"id": format!("target-{index}"), "connectionSpec": {"id": S3, "version": "1.0"}}]
        },
        "transformations": [{"name": "GeneralTransform", "params": {"segmentSelectors": {"selectors": selectors}}}]
    })
}

fn bench(c: &mut Criterion) {
    let flows: Vec<Flow> = (0..DATAFLOWS)
        .map(|i| serde_json::from_value(flow_json(i)).unwrap())
        .collect();
    let facts = Snapshot::of_platform(&flows, [], &[]);
    let plan: ActivationInfo = (0..4)
        .map(|d| {
            let segments = flows[d]
                .selectors()
                .take(20)
                .map(|s| SegmentId::parse(s.id.as_str()).unwrap())
                .collect();
            (DataflowId::parse(flows[d].id.as_str()).unwrap(), segments)
        })
        .collect();
    let now = EpochMillis(Date::new(2026, 11, 30).unwrap().start_millis().0);
    let limits = Limits::default();
    assert!(check(&plan, &facts, now, &limits).is_empty());
    c.bench_function(
        "check 80 entries against 100 dataflows x 4000 segments",
        |b| b.iter(|| check(black_box(&plan), black_box(&facts), now, &limits)),
    );

    let page = serde_json::to_string(&json!({
        "items": (0..100).map(flow_json).collect::<Vec<_>>(),
        "_links": {"next": {"href": "/flows?continuationToken=abc"}}
    }))
    .unwrap();
    println!(
        "flow list page: 100 flows x {SEGMENTS_PER_DATAFLOW} selectors, {} KB",
        page.len() / 1024
    );
    c.bench_function("parse a 100-item flow list page", |b| {
        b.iter(|| serde_json::from_str::<FlowList>(black_box(&page)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
