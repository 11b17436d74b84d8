//! The demo dataset: a handful of batch file destinations and a few dozen segments with Korean
//! and English names, chosen so that every guardrail can be seen: segments out of schedule,
//! segments mapped minutes ago, a run in progress, a disabled and a streaming destination, a
//! scheduled export job that runs every half hour.

use serde_json::json;
use shared::aep::flow::Flow;
use shared::time::EpochMillis;

use crate::export::{Compression, FileType};
use crate::ids::IdGenerator;
use crate::world::{Dataflow, ExportSchedule, RunRecord, Sandbox, Segment};

/// (English name, Korean name, profiles).
const SEGMENTS: &[(&str, &str, u64)] = &[
    ("Summer VIP shoppers", "여름 VIP 고객", 12_480),
    (
        "Cart abandoners (7 days)",
        "장바구니 이탈 고객 (7일)",
        48_210,
    ),
    ("Loyalty gold members", "로열티 골드 회원", 8_932),
    ("Rainy-day umbrella buyers", "우천 시 우산 구매 고객", 3_115),
    ("Flash sale responders", "타임세일 반응 고객", 27_604),
    ("New app installs (30 days)", "신규 앱 설치 (30일)", 61_337),
    ("High lifetime value", "고객 생애 가치 상위", 5_240),
    ("Lapsed customers (90 days)", "이탈 고객 (90일)", 90_018),
    ("Newsletter subscribers", "뉴스레터 구독자", 120_455),
    ("Seoul metro area", "서울 수도권 고객", 74_902),
    ("Busan shoppers", "부산 고객", 21_760),
    ("Outdoor gear fans", "아웃도어 용품 관심 고객", 15_008),
    ("Skincare repeat buyers", "스킨케어 재구매 고객", 18_450),
    ("Coffee subscription", "커피 정기 구독", 6_720),
    (
        "Black Friday 2026 browsers",
        "블랙프라이데이 2026 방문자",
        150_200,
    ),
    ("Holiday gift seekers", "연말 선물 탐색 고객", 33_310),
    ("Weather alert opt-ins", "기상 알림 수신 동의", 9_805),
    ("Mobile-only users", "모바일 전용 사용자", 55_120),
    ("Price-drop watchers", "가격 인하 알림 고객", 12_001),
    ("Store pickup users", "매장 픽업 이용 고객", 7_777),
    ("Kids category browsers", "유아동 카테고리 방문자", 14_321),
    ("Premium members", "프리미엄 회원", 4_096),
    ("First purchase this month", "이번 달 첫 구매 고객", 2_048),
    ("Integration test audience", "연동 테스트 세그먼트", 25),
    ("Spring collection preview", "봄 컬렉션 미리보기", 10_500),
    ("Breaking news readers", "속보 구독 독자", 40_010),
    ("Fitness app members", "피트니스 앱 회원", 22_222),
    ("Empty test segment", "빈 테스트 세그먼트", 0),
    ("Travel deal hunters", "여행 특가 탐색 고객", 31_415),
    ("Pet owners", "반려동물 보호자", 19_900),
    ("Gamers", "게이머", 16_384),
    ("Student discount", "학생 할인 대상", 11_011),
];

/// The destination whose segments are generated: ninety by default, enough to go past the
/// 80-entry limit in one destination; 4,000 (Adobe's per-sandbox guardrail) for benchmarks.
pub const BULK_DESTINATION: &str = "Bulk QA export (S3)";
pub const BULK_SEGMENTS: usize = 90;

/// (name, destination, connection spec, flow spec, file type, compression, state, segments
/// mapped). Specs as Adobe documents them: the new cloud-storage cards with their segment-export
/// flow specs, the legacy cards and streaming destinations with `71471eba-…`.
type DestinationRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    FileType,
    Compression,
    &'static str,
    &'static [usize],
);

const DESTINATIONS: &[DestinationRow] = &[
    (
        "Flash sale drop (S3)",
        "Amazon S3",
        "4fce964d-3f37-408f-9778-e597338a21ee",
        "1a0514a6-33d4-4c7f-aff8-594799c47549",
        FileType::Csv,
        Compression::None,
        "enabled",
        &[0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 18, 23, 27],
    ),
    (
        "CRM sync (SFTP)",
        "SFTP",
        "36965a81-b1c6-401b-99f8-22508f1e6a26",
        "fd36aaa4-bf2b-43fb-9387-43785eeeb799",
        FileType::Csv,
        Compression::Gzip,
        "enabled",
        &[2, 6, 7, 8, 12, 13, 19, 21, 22, 23],
    ),
    (
        "Data lake (Azure Blob)",
        "Azure Blob Storage",
        "6d6b59bf-fb58-4107-9064-4d246c0e5bb2",
        "752d422f-b16f-4f0d-b1c6-26e448e3b388",
        FileType::Json,
        Compression::None,
        "enabled",
        &[9, 10, 11, 16, 17, 25, 26, 28],
    ),
    (
        "Partner share (Data Landing Zone)",
        "Data Landing Zone",
        "10440537-2a7b-4583-ac39-ed38d4b848e8",
        "7e635b9f-e59b-4546-8ba8-fce6496693c8",
        FileType::Parquet,
        Compression::Gzip,
        "enabled",
        &[1, 4, 20, 24, 29, 30, 31],
    ),
    (
        "Weather campaigns (GCS)",
        "Google Cloud Storage",
        "c5d93acb-ea8b-4b14-8f53-02138444ae99",
        "976d663b-80b4-4193-be6b-2d0487516623",
        FileType::Csv,
        Compression::Gzip,
        "enabled",
        &[3, 16, 25, 9],
    ),
    (
        "Legacy export (S3, disabled)",
        "Amazon S3",
        "4890fc95-5a1f-4983-94bb-e060c08e3f81",
        LEGACY_FLOW_SPEC,
        FileType::Csv,
        Compression::None,
        "disabled",
        &[0, 1],
    ),
    // Generated test audiences (see BULK_SEGMENTS); the slice is filled in at build time.
    (
        BULK_DESTINATION,
        "Amazon S3",
        "4fce964d-3f37-408f-9778-e597338a21ee",
        "1a0514a6-33d4-4c7f-aff8-594799c47549",
        FileType::Csv,
        Compression::None,
        "enabled",
        &[],
    ),
    // A streaming destination (Adobe's streaming tutorial's connection spec): listed by Flow
    // Service, refused by the portal's batch-file rule and by adhocrun.
    (
        "Personalisation API (streaming)",
        STREAMING_DESTINATION,
        "86043421-563b-46ec-8e6c-e23184711bf6",
        LEGACY_FLOW_SPEC,
        FileType::Csv,
        Compression::None,
        "enabled",
        &[0, 2],
    ),
];

/// The flow spec of the legacy cloud-storage cards (and, Adobe's streaming tutorial says, of
/// streaming destinations).
pub const LEGACY_FLOW_SPEC: &str = "71471eba-b620-49e4-90fd-23f1fa0174d8";
/// The destination name that makes a dataflow streaming: no files, no export schedule.
pub const STREAMING_DESTINATION: &str = "Amazon Kinesis";

/// How a segment sits on a dataflow, to put every guardrail on show.
enum Mapping {
    Ready,
    /// The schedule ended yesterday.
    Ended,
    /// The schedule starts next week.
    NotStarted,
    /// Mapped a few minutes ago: within the first-activation wait.
    JustMapped,
}

fn mapping(destination: usize, segment: usize) -> Mapping {
    match (destination, segment) {
        (0, 18) | (3, 31) => Mapping::Ended,
        (1, 22) | (2, 28) => Mapping::NotStarted,
        (0, 15) | (2, 26) => Mapping::JustMapped,
        _ => Mapping::Ready,
    }
}

pub fn demo_sandbox(now: EpochMillis) -> Sandbox {
    demo_sandbox_with_bulk(now, BULK_SEGMENTS)
}

/// The demo dataset with `bulk` generated segments on the bulk destination.
pub fn demo_sandbox_with_bulk(now: EpochMillis, bulk: usize) -> Sandbox {
    let mut ids = IdGenerator::new(2026);
    let today = now.utc_date();
    let days = |n: i64| today.plus_days(n);
    let bulk_indices: Vec<usize> = (SEGMENTS.len()..SEGMENTS.len() + bulk).collect();
    let bulk: Vec<(String, String, u64)> = (1..=bulk)
        .map(|n| {
            (
                format!("QA audience {n:04}"),
                format!("QA 테스트 {n:04}"),
                10 * n as u64,
            )
        })
        .collect();
    let segments: Vec<Segment> = SEGMENTS
        .iter()
        .map(|(english, korean, profiles)| (english.to_string(), korean.to_string(), *profiles))
        .chain(bulk)
        .enumerate()
        .map(|(i, (english, korean, profiles))| Segment {
            id: ids.uuid(),
            name: format!("{korean} / {english}"),
            description: format!("Demo audience: {english}"),
            profiles,
            created_at: now.plus_seconds(-86_400 * (200 - i as i64)),
            evaluated_at: now.plus_seconds(-3_600 * (2 + (i as i64 % 20))),
            export_fails: english == "Gamers",
        })
        .collect();
    let dataflows: Vec<Dataflow> = DESTINATIONS
        .iter()
        .enumerate()
        .map(|(d, (name, destination, spec, flow_spec, file_type, compression, state, mapped))| {
            let mapped = if *name == BULK_DESTINATION { bulk_indices.as_slice() } else { mapped };
            // Each dataflow's daily export an hour apart, the first one or two hours after the
            // start: the demo shows scheduled runs soon, and never in its first hour (when the
            // browser tests run against it).
            let start_time = format!("{:02}:00", (i64::from(now.utc_time_of_day().0) + 2 + d as i64) % 24);
            let selectors: Vec<_> = mapped
                .iter()
                .map(|&s| {
                    let (start, end, mapped_at) = match mapping(d, s) {
                        Mapping::Ready => (days(-60), None, now.plus_seconds(-86_400 * 30)),
                        Mapping::Ended => (days(-60), Some(days(-1)), now.plus_seconds(-86_400 * 30)),
                        Mapping::NotStarted => (days(7), None, now.plus_seconds(-86_400)),
                        Mapping::JustMapped => (days(0), None, now.plus_seconds(-5 * 60)),
                    };
                    let mut schedule = json!({"frequency": "DAILY", "triggerType": "SCHEDULED", "startDate": start.to_string(), "startTime": start_time});
                    if let Some(end) = end {
                        schedule["endDate"] = json!(end.to_string());
                    }
                    let mut value = json!({
                        "id": segments[s].id, "name": segments[s].name, "description": "",
                        "createTime": (mapped_at.0 / 1000).to_string(), "updateTime": (mapped_at.0 / 1000).to_string()});
                    // Only batch (file) destinations' selectors carry export settings.
                    if *destination != STREAMING_DESTINATION {
                        value["filenameTemplate"] = json!("%DESTINATION%_%SEGMENT_ID%_%SEGMENT_NAME%_%DATETIME(YYYYMMdd_HHmmss)%");
                        value["exportMode"] = json!("DAILY_FULL_EXPORT");
                        value["schedule"] = schedule;
                    }
                    json!({"type": "PLATFORM_SEGMENT", "value": value})
                })
                .collect();
            let created = now.plus_seconds(-86_400 * (90 - d as i64));
            let flow: Flow = serde_json::from_value(json!({
                "id": ids.uuid(), "name": name, "description": format!("{destination} demo destination"),
                "flowSpec": {"id": flow_spec, "version": "1.0"},
                "state": state, "createdAt": created, "updatedAt": created,
                "sourceConnectionIds": [ids.uuid()], "targetConnectionIds": [ids.uuid()],
                "inheritedAttributes": {
                    "properties": {"isDestinationFlow": true},
                    "sourceConnections": [{"id": ids.uuid(), "connectionSpec": {"id": "8a9c3494-9708-43d7-ae3f-cda01e5030e1", "version": "1.0"}}],
                    "targetConnections": [{"id": ids.uuid(), "connectionSpec": {"id": spec, "version": "1.0"}}]
                },
                "transformations": [{"name": "GeneralTransform", "params": {"segmentSelectors": {"selectors": selectors}}}]
            }))
            .expect("the demo flows are valid");
            // Two of the cloud-storage destinations write Adobe's manifest file beside the exports.
            let manifest = matches!(*destination, "Amazon S3" | "Google Cloud Storage") && *state == "enabled";
            Dataflow { flow, destination: destination.to_string(), file_type: *file_type, compression: *compression, manifest, raw: None }
        })
        .collect();
    // A scheduled run that keeps "Loyalty gold members" busy for the first half hour.
    let busy = RunRecord {
        id: ids.uuid(),
        flow_id: dataflows[1].flow.id.clone(),
        segment_id: segments[2].id.clone(),
        created_at: now.plus_seconds(-60),
        finishes_at: now.plus_seconds(30 * 60),
        scheduled: true,
        writing: false,
        completion: None,
    };
    Sandbox {
        id: "6ef74723-3ee7-46a4-b747-233ee7a6a41a".into(),
        name: "prod".into(),
        dataflows,
        segments,
        export_jobs: Vec::new(),
        export_schedule: Some(ExportSchedule {
            first_at: now.plus_seconds(10 * 60),
            every_seconds: 30 * 60,
            running_seconds: 3 * 60,
        }),
        runs: vec![busy],
        run_schedule: None,
        loaded: Default::default(),
    }
}
