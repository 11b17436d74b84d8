use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::aep::export_job::{ExportJob, ExportJobStatus};
use crate::aep::flow::Flow;
use crate::ids::DataflowId;
use crate::time::Date;

const S3: &str = "4fce964d-3f37-408f-9778-e597338a21ee";
/// Amazon Kinesis, from Adobe's streaming destinations tutorial.
const STREAMING: &str = "86043421-563b-46ec-8e6c-e23184711bf6";
const MINUTE: i64 = 60;

fn now() -> EpochMillis {
    Date::new(2026, 11, 30)
        .unwrap()
        .start_millis()
        .plus_seconds(12 * 3600)
}

fn selector(
    id: &str,
    start: &str,
    end: Option<&str>,
    mapped_seconds_ago: i64,
) -> serde_json::Value {
    let mut schedule = json!({"frequency": "DAILY", "triggerType": "SCHEDULED", "startDate": start, "startTime": "00:00"});
    if let Some(end) = end {
        schedule["endDate"] = json!(end);
    }
    let mapped_at = now().0 / 1000 - mapped_seconds_ago;
    json!({"type": "PLATFORM_SEGMENT", "value": {
        "id": id, "name": format!("Segment {id}"), "schedule": schedule,
        "exportMode": "DAILY_FULL_EXPORT", "createTime": mapped_at.to_string()}})
}

fn ready(id: &str) -> serde_json::Value {
    selector(id, "2026-01-01", None, 30 * 24 * 3600)
}

fn flow(id: &str, state: &str, connection_spec: &str, selectors: Vec<serde_json::Value>) -> Flow {
    serde_json::from_value(json!({
        "id": id, "name": format!("Destination {id}"), "state": state,
        "inheritedAttributes": {
            "properties": {"isDestinationFlow": true},
            "targetConnections": [{"id": "t", "connectionSpec": {"id": connection_spec, "version": "1.0"}}]
        },
        "transformations": [{"name": "GeneralTransform", "params": {"segmentSelectors": {"selectors": selectors}}}]
    }))
    .unwrap()
}

fn sandbox() -> Vec<Flow> {
    vec![
        flow(
            "s3",
            "enabled",
            S3,
            vec![
                ready("ready"),
                ready("busy"),
                selector("ended", "2026-01-01", Some("2026-11-30"), 86_400),
                selector("ends-tomorrow", "2026-01-01", Some("2026-12-01"), 86_400),
                selector("starts-today", "2026-11-30", None, 86_400),
                selector("starts-tomorrow", "2026-12-01", None, 86_400),
                selector("fresh", "2026-01-01", None, 5 * MINUTE),
                selector("wait-ends-now", "2026-01-01", None, 60 * MINUTE),
                selector("just-mapped", "2026-01-01", None, 10 * MINUTE),
                selector("wait-ends-in-1s", "2026-01-01", None, 60 * MINUTE - 1),
            ],
        ),
        flow(
            "sftp",
            "enabled",
            "36965a81-b1c6-401b-99f8-22508f1e6a26",
            vec![ready("ready")],
        ),
        flow("off", "disabled", S3, vec![ready("ready")]),
        flow("stream", "enabled", STREAMING, vec![ready("ready")]),
    ]
}

fn export_job(id: u64, status: ExportJobStatus) -> ExportJob {
    serde_json::from_value(
        json!({"id": id, "status": status, "schema": {"name": "_xdm.context.profile"}}),
    )
    .unwrap()
}

fn facts() -> Snapshot {
    let busy = RunInProgress {
        segment_id: "busy".into(),
        dataflow_id: "s3".into(),
        run_id: "run-1".into(),
    };
    // The portal's own ad-hoc run: it blocks its segment, not the dataflow.
    Snapshot::of_platform(
        &sandbox(),
        [busy],
        &[export_job(7, ExportJobStatus::Succeeded)],
    )
    .with_portal_runs(["run-1".to_owned()])
}

/// A destination and the segments chosen for it.
type Entry<'a> = (&'a str, &'a [&'a str]);

fn plan(entries: &[Entry]) -> ActivationInfo {
    plan_of(entries)
}

fn plan_of<S: AsRef<str>>(entries: &[(&str, &[S])]) -> ActivationInfo {
    entries
        .iter()
        .map(|(d, segments)| {
            (
                DataflowId::parse(*d).unwrap(),
                segments
                    .iter()
                    .map(|s| SegmentId::parse(s.as_ref()).unwrap())
                    .collect(),
            )
        })
        .collect()
}

fn codes(violations: &[Violation]) -> Vec<ViolationCode> {
    violations.iter().map(|v| v.code).collect()
}

fn check_plan(entries: &[Entry]) -> Vec<Violation> {
    check(&plan(entries), &facts(), now(), &Limits::default())
}

#[test]
fn a_valid_plan_passes() {
    assert_eq!(
        check_plan(&[
            ("s3", &["ready", "starts-today", "ends-tomorrow"]),
            ("sftp", &["ready"])
        ]),
        vec![]
    );
}

#[test]
fn each_rule_on_its_own() {
    use ViolationCode::*;
    let cases: &[(&[Entry], ViolationCode)] = &[
        (&[], EmptyPlan),
        (&[("s3", &[])], EmptyDestination),
        (&[("nowhere", &["ready"])], UnknownDestination),
        (&[("off", &["ready"])], DestinationDisabled),
        (&[("stream", &["ready"])], NotBatchFileDestination),
        (&[("s3", &["ready", "ready"])], DuplicateSegment),
        (&[("s3", &["unmapped"])], SegmentNotMapped),
        (&[("s3", &["ended"])], OutOfSchedule),
        (&[("s3", &["starts-tomorrow"])], OutOfSchedule),
        (&[("s3", &["fresh"])], FirstActivationWait),
        (&[("s3", &["wait-ends-in-1s"])], FirstActivationWait),
        (&[("s3", &["busy"])], RunInProgress),
    ];
    for (entries, code) in cases {
        assert_eq!(codes(&check_plan(entries)), vec![*code], "{entries:?}");
    }
}

#[test]
fn the_wait_ending_this_very_second_has_passed() {
    assert_eq!(check_plan(&[("s3", &["wait-ends-now"])]), vec![]);
    let waiting = check_plan(&[("s3", &["wait-ends-in-1s"])]);
    assert_eq!(waiting[0].ready_at, Some(now().plus_seconds(1)));
    let message = &waiting[0].message.en;
    assert!(message.contains("12:00 UTC"), "{message}");
    assert!(
        message.contains("wait 60 minutes"),
        "the rule and its source: {message}"
    );
}

#[test]
fn the_wait_is_an_hour_as_adobe_documents_and_configurable() {
    assert_eq!(Limits::default().first_activation_wait_seconds, 3600);
    let seed = Limits {
        first_activation_wait_seconds: 20 * 60,
        ..Limits::default()
    };
    let violations = check(&plan(&[("s3", &["just-mapped"])]), &facts(), now(), &seed);
    assert_eq!(
        violations[0].ready_at,
        Some(now().plus_seconds(10 * MINUTE))
    );
    assert!(violations[0].message.en.contains("wait 20 minutes"));
}

#[test]
fn every_violation_is_reported_not_just_the_first() {
    let violations = check_plan(&[
        ("s3", &["busy", "ended", "unmapped", "busy"]),
        ("off", &["ready"]),
        ("nowhere", &[]),
    ]);
    use ViolationCode::*;
    assert_eq!(
        codes(&violations),
        vec![
            UnknownDestination,
            DestinationDisabled,
            EmptyDestination,
            DuplicateSegment,
            SegmentNotMapped,
            OutOfSchedule,
            RunInProgress
        ]
    );
    let run = violations.iter().find(|v| v.code == RunInProgress).unwrap();
    assert_eq!(
        (
            run.dataflow_id.as_deref(),
            run.segment_id.as_deref(),
            run.run_id.as_deref()
        ),
        (Some("s3"), Some("busy"), Some("run-1"))
    );
}

#[test]
fn a_queued_or_running_scheduled_export_blocks_everything() {
    for (status, blocks) in [
        (ExportJobStatus::New, true),
        (ExportJobStatus::Processing, true),
        (ExportJobStatus::Failed, false),
    ] {
        let facts = Snapshot::of_platform(&sandbox(), [], &[export_job(42, status.clone())]);
        let violations = check(
            &plan(&[("s3", &["ready"])]),
            &facts,
            now(),
            &Limits::default(),
        );
        assert_eq!(!violations.is_empty(), blocks, "{status:?}");
        if blocks {
            assert_eq!(violations[0].code, ViolationCode::ScheduledExportRunning);
            assert_eq!(
                violations[0].export_job_id.as_ref().map(|j| j.0.as_str()),
                Some("42")
            );
        }
    }
}

fn wide_sandbox(segments: usize) -> (Snapshot, Vec<String>) {
    let ids: Vec<String> = (0..segments).map(|i| format!("seg-{i:04}")).collect();
    let flows = vec![
        flow("a", "enabled", S3, ids.iter().map(|id| ready(id)).collect()),
        flow("b", "enabled", S3, ids.iter().map(|id| ready(id)).collect()),
    ];
    (Snapshot::of_platform(&flows, [], &[]), ids)
}

#[test]
fn exactly_80_entries_pass_and_81_fail_with_the_count() {
    let (facts, ids) = wide_sandbox(81);
    let mut entries = plan_of(&[("a", &ids[..40]), ("b", &ids[..40])]);
    assert_eq!(check(&entries, &facts, now(), &Limits::default()), vec![]);
    entries.add(
        DataflowId::parse("b").unwrap(),
        SegmentId::parse(ids[80].as_str()).unwrap(),
    );
    let violations = check(&entries, &facts, now(), &Limits::default());
    assert_eq!(codes(&violations), vec![ViolationCode::TooManyEntries]);
    assert_eq!(
        (violations[0].count, violations[0].limit),
        (Some(81), Some(80))
    );
    assert!(violations[0].message.en.contains("81") && violations[0].message.ko.contains("81"));
}

#[test]
fn messages_name_things_in_both_languages() {
    for v in check_plan(&[("s3", &["ended", "fresh", "busy", "unmapped"])]) {
        assert!(
            !v.message.en.is_empty() && !v.message.ko.is_empty(),
            "{v:?}"
        );
        assert!(
            v.message
                .ko
                .chars()
                .any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "{v:?}"
        );
        let segment_id = v.segment_id.as_deref().unwrap();
        let named = match v.code {
            ViolationCode::SegmentNotMapped => format!("\"{segment_id}\""),
            _ => format!("\"Segment {segment_id}\""),
        };
        assert!(
            v.message.en.contains(&named) && v.message.ko.contains(&named),
            "{v:?}"
        );
        if v.code != ViolationCode::RunInProgress {
            assert!(
                v.message.en.contains("\"Destination s3\""),
                "{}",
                v.message.en
            );
        }
    }
}

#[test]
fn violations_travel_as_json_with_stable_codes() {
    let violation = &check_plan(&[("s3", &["busy"])])[0];
    let json = serde_json::to_value(violation).unwrap();
    assert_eq!(json["code"], "RUN_IN_PROGRESS");
    assert_eq!(json["runId"], "run-1");
    let back: Violation = serde_json::from_value(json).unwrap();
    assert_eq!(&back, violation);
}

proptest! {
    #[test]
    fn up_to_the_limit_of_valid_entries_always_passes(in_a in 0usize..=40, in_b in 0usize..=40) {
        prop_assume!(in_a + in_b > 0);
        let (facts, ids) = wide_sandbox(40);
        let mut chosen = Vec::new();
        if in_a > 0 { chosen.push(("a", &ids[..in_a])); }
        if in_b > 0 { chosen.push(("b", &ids[..in_b])); }
        let entries = plan_of(&chosen);
        prop_assert_eq!(check(&entries, &facts, now(), &Limits::default()), vec![]);
    }

    #[test]
    fn over_the_limit_always_fails_with_the_count(in_a in 1usize..=120, in_b in 1usize..=120, limit in 1usize..=100) {
        prop_assume!(in_a + in_b > limit);
        let (facts, ids) = wide_sandbox(120);
        let entries = plan_of(&[("a", &ids[..in_a]), ("b", &ids[..in_b])]);
        let limits = Limits { max_entries: limit, ..Limits::default() };
        let violations = check(&entries, &facts, now(), &limits);
        let too_many = violations.iter().find(|v| v.code == ViolationCode::TooManyEntries);
        prop_assert_eq!(too_many.and_then(|v| v.count), Some(in_a + in_b));
    }

    #[test]
    fn violations_do_not_depend_on_input_order(
        picks in proptest::collection::vec(0usize..12, 0..20),
        seed in any::<u64>(),
    ) {
        let names = ["ready", "busy", "ended", "fresh", "unmapped", "starts-today", "starts-tomorrow",
                     "wait-ends-now", "wait-ends-in-1s", "ends-tomorrow", "ready", "busy"];
        let segments: Vec<String> = picks.iter().map(|&i| names[i].to_owned()).collect();
        let mut shuffled = segments.clone();
        // A deterministic shuffle driven by the seed.
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let ready = ["ready".to_owned()];
        let one = check(&plan_of(&[("s3", segments.as_slice()), ("off", ready.as_slice())]), &facts(), now(), &Limits::default());
        let other = check(&plan_of(&[("off", ready.as_slice()), ("s3", shuffled.as_slice())]), &facts(), now(), &Limits::default());
        prop_assert_eq!(one, other);
    }
}

#[test]
fn a_run_found_by_two_queries_blocks_once() {
    let run = |id: &str| RunInProgress {
        segment_id: "busy".into(),
        dataflow_id: "s3".into(),
        run_id: id.into(),
    };
    let snapshot =
        Snapshot::of_platform(&sandbox(), [run("run-1"), run("run-1"), run("run-2")], &[]);
    let found: Vec<&str> = snapshot
        .runs_in_progress("busy")
        .iter()
        .map(|r| r.run_id.as_str())
        .collect();
    assert_eq!(found, ["run-1", "run-2"]);
}

#[test]
fn a_dataflow_in_a_state_the_portal_does_not_know_is_kept_and_refused_by_name() {
    let flows = vec![
        flow("draft", "draft", S3, vec![ready("ready")]),
        flow("updating", "UPDATING", S3, vec![ready("ready")]),
    ];
    let facts = Snapshot::of_platform(&flows, [], &[]);
    for (dataflow, state) in [("draft", "draft"), ("updating", "UPDATING")] {
        let violations = check(
            &plan(&[(dataflow, &["ready"])]),
            &facts,
            now(),
            &Limits::default(),
        );
        assert_eq!(
            codes(&violations),
            vec![ViolationCode::DestinationDisabled],
            "{dataflow}"
        );
        let message = &violations[0].message.en;
        assert!(
            message.contains(&format!("{state:?}, not enabled")),
            "{message}"
        );
    }
}

#[test]
fn a_run_the_portal_did_not_start_blocks_its_dataflow_as_a_scheduled_export() {
    let scheduled = |segment: &str| RunInProgress {
        segment_id: segment.into(),
        dataflow_id: "s3".into(),
        run_id: "scheduled-1".into(),
    };
    let facts = Snapshot::of_platform(&sandbox(), [scheduled("ready"), scheduled("busy")], &[]);
    let violations = check(
        &plan(&[("s3", &["starts-today"])]),
        &facts,
        now(),
        &Limits::default(),
    );
    assert_eq!(
        codes(&violations),
        vec![ViolationCode::DataflowRunProcessing]
    );
    assert_eq!(violations[0].dataflow_id.as_deref(), Some("s3"));
    assert_eq!(violations[0].run_id.as_deref(), Some("scheduled-1"));
    assert!(
        violations[0].message.en.contains("scheduled export"),
        "{}",
        violations[0].message.en
    );
    // Exporting a segment of the plan, it is that segment's run in progress, said once.
    let violations = check(
        &plan(&[("s3", &["ready"])]),
        &facts,
        now(),
        &Limits::default(),
    );
    assert_eq!(codes(&violations), vec![ViolationCode::RunInProgress]);
    // The portal's own run of another segment does not block the dataflow.
    let facts = Snapshot::of_platform(&sandbox(), [scheduled("busy")], &[])
        .with_portal_runs(["scheduled-1".to_owned()]);
    assert_eq!(check_plan_with(&facts, &[("s3", &["ready"])]), vec![]);
}

#[test]
fn an_unclassified_destination_is_left_to_the_platform() {
    let flows = vec![flow(
        "custom",
        "enabled",
        "not-a-documented-spec",
        vec![json!({"type": "PLATFORM_SEGMENT", "value": {"id": "ready", "name": "Ready"}})],
    )];
    let facts = Snapshot::of_platform(&flows, [], &[]);
    assert!(facts.dataflow("custom").unwrap().kind.is_unclassified());
    assert_eq!(check_plan_with(&facts, &[("custom", &["ready"])]), vec![]);
}

fn check_plan_with(facts: &Snapshot, entries: &[Entry]) -> Vec<Violation> {
    check(&plan(entries), facts, now(), &Limits::default())
}

#[test]
fn a_run_that_names_no_audience_yet_still_holds_its_dataflow() {
    let run: crate::aep::run::Run = serde_json::from_value(json!({
        "id": "scheduled-2", "flowId": "s3", "metrics": {"statusSummary": {"status": "Processing"}}
    }))
    .unwrap();
    let facts = Snapshot::of_platform(&sandbox(), RunInProgress::of(&run), &[]);
    assert_eq!(
        codes(&check_plan_with(&facts, &[("s3", &["ready"])])),
        vec![ViolationCode::DataflowRunProcessing]
    );
    assert!(facts.runs_in_progress("ready").is_empty());
}
