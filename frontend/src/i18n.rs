//! English and Korean texts from one catalogue. The language comes from the browser, can be
//! switched, and is remembered in local storage.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
}

const STORAGE_KEY: &str = "adhoc-portal-lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ko => "ko",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code.get(..2)? {
            "en" => Some(Self::En),
            "ko" => Some(Self::Ko),
            _ => None,
        }
    }

    /// The remembered choice, else the browser's language, else English.
    pub fn initial() -> Self {
        let window = web_sys::window();
        let stored = window
            .as_ref()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|code| Self::from_code(&code));
        let browser = window
            .and_then(|w| w.navigator().language())
            .and_then(|code| Self::from_code(&code));
        stored.or(browser).unwrap_or(Self::En)
    }

    pub fn remember(self) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, self.code());
        }
    }
}

/// The language signal every component reads.
pub fn use_lang() -> RwSignal<Lang> {
    expect_context::<RwSignal<Lang>>()
}

/// `key` in the current language (reactive when called inside a closure).
pub fn t(key: &str) -> &'static str {
    let lang = use_lang().get();
    text(lang, key)
}

pub fn text(lang: Lang, key: &str) -> &'static str {
    match CATALOGUE.iter().find(|(k, _, _)| *k == key) {
        Some((_, en, ko)) => match lang {
            Lang::En => en,
            Lang::Ko => ko,
        },
        None => "??",
    }
}

const CATALOGUE: &[(&str, &str, &str)] = &[
    (
        "app.title",
        "Ad-hoc Activation Portal",
        "애드혹 활성화 포털",
    ),
    ("nav.label", "Main", "주 메뉴"),
    ("nav.activate", "Activate", "활성화"),
    ("nav.history", "History", "기록"),
    ("lang.label", "Language", "언어"),
    (
        "demo.banner",
        "Demo mode: everything runs against the built-in emulator; files are written to the demo's export folder.",
        "데모 모드: 모든 작업은 내장 에뮬레이터에서 실행되며 파일은 데모 내보내기 폴더에 저장됩니다.",
    ),
    ("session.viewer", "viewer", "조회자"),
    ("session.activator", "activator", "활성화 담당자"),
    ("common.loading", "Loading…", "불러오는 중…"),
    ("common.retry", "Try again", "다시 시도"),
    (
        "common.error",
        "Something went wrong",
        "문제가 발생했습니다",
    ),
    ("activate.title", "Activate", "활성화"),
    (
        "activate.intro",
        "Push audience segments to batch file destinations now, without waiting for the daily schedule.",
        "일일 일정을 기다리지 않고 지금 바로 세그먼트를 배치 파일 대상으로 내보냅니다.",
    ),
    ("destinations.title", "Destinations", "대상"),
    (
        "destinations.empty",
        "No batch file destination exists in this sandbox.",
        "이 샌드박스에는 배치 파일 대상이 없습니다.",
    ),
    ("destinations.segments", "segments", "세그먼트"),
    ("destinations.enabled", "enabled", "활성"),
    ("destinations.disabled", "disabled", "비활성"),
    ("segments.title", "Segments", "세그먼트"),
    (
        "segments.choose_destination",
        "Choose a destination to see its segments.",
        "세그먼트를 보려면 대상을 선택하세요.",
    ),
    (
        "segments.search",
        "Search segments by name or id",
        "이름 또는 ID로 세그먼트 검색",
    ),
    (
        "segments.select_all",
        "Select all matching",
        "검색 결과 모두 선택",
    ),
    ("segments.clear", "Clear selection", "선택 해제"),
    (
        "segments.none_match",
        "No segment matches the search.",
        "검색과 일치하는 세그먼트가 없습니다.",
    ),
    ("segments.profiles", "profiles", "명"),
    ("segments.evaluated", "evaluated", "평가"),
    ("segments.shown", "shown", "표시"),
    ("segments.show_more", "Show more", "더 보기"),
    ("badge.ready", "Ready", "준비됨"),
    ("badge.out_of_schedule", "Out of schedule", "일정 범위 밖"),
    (
        "badge.waiting",
        "Waiting for first activation until",
        "첫 활성화 대기 중, 가능 시각",
    ),
    ("badge.running", "Run in progress", "실행 중"),
    (
        "badge.export_running",
        "Blocked by a scheduled export",
        "예약 내보내기로 차단됨",
    ),
    ("badge.blocked", "Blocked", "차단됨"),
    ("plan.title", "Plan", "계획"),
    (
        "plan.empty",
        "Nothing chosen yet: pick a destination and its segments.",
        "아직 선택한 항목이 없습니다. 대상과 세그먼트를 선택하세요.",
    ),
    ("plan.entries", "entries", "항목"),
    ("plan.remove", "Remove", "빼기"),
    (
        "plan.ok",
        "This plan passes every guardrail.",
        "이 계획은 모든 가드레일을 통과합니다.",
    ),
    (
        "plan.violations",
        "This plan cannot be activated yet:",
        "이 계획은 아직 활성화할 수 없습니다:",
    ),
    ("activate.button", "Activate", "활성화"),
    (
        "activate.viewer",
        "Your role may look but not activate. Ask an administrator for the activator role.",
        "조회 권한만 있어 활성화할 수 없습니다. 관리자에게 활성화 권한을 요청하세요.",
    ),
    (
        "activate.checking",
        "Checking whether these segments are running on another destination…",
        "이 세그먼트가 다른 대상에서 실행 중인지 확인하는 중…",
    ),
    (
        "activate.fix_first",
        "Fix the problems listed in the plan first.",
        "먼저 계획에 표시된 문제를 해결하세요.",
    ),
    (
        "activate.nothing",
        "Choose at least one segment.",
        "세그먼트를 하나 이상 선택하세요.",
    ),
    ("confirm.title", "Confirm the activation", "활성화 확인"),
    (
        "confirm.summary",
        "Export now, as full files:",
        "지금 전체 파일로 내보냅니다:",
    ),
    ("confirm.yes", "Confirm activation", "활성화 확인"),
    ("confirm.no", "Cancel", "취소"),
    ("confirm.sending", "Sending…", "보내는 중…"),
    ("orders.title", "Runs", "실행"),
    ("orders.segment", "Segment", "세그먼트"),
    ("orders.destination", "Destination", "대상"),
    ("orders.status", "Status", "상태"),
    ("orders.records", "Records", "레코드"),
    ("orders.files", "Files", "파일"),
    ("orders.bytes", "Bytes", "바이트"),
    ("orders.duration", "Duration", "소요 시간"),
    ("orders.errors", "Errors", "오류"),
    (
        "orders.see_history",
        "See it in the history",
        "기록에서 보기",
    ),
    ("status.processing", "In progress", "진행 중"),
    ("status.success", "Succeeded", "성공"),
    ("status.failed", "Failed", "실패"),
    ("status.unknown", "Unknown", "알 수 없음"),
    (
        "error.run_going_on",
        "This segment already has a run in progress on the Platform. Wait until it has finished, then activate again.",
        "이 세그먼트는 이미 Platform에서 실행 중입니다. 끝난 뒤 다시 활성화하세요.",
    ),
    (
        "error.not_in_dataflow",
        "The Platform says these segments are not mapped to the destination or are outside their schedule today. Check the mapping and the schedule in Experience Platform:",
        "Platform에 따르면 다음 세그먼트는 대상에 매핑되어 있지 않거나 오늘 일정 범위를 벗어났습니다. Experience Platform에서 매핑과 일정을 확인하세요:",
    ),
    ("history.title", "History", "기록"),
    (
        "history.intro",
        "Activations made through the portal, newest first.",
        "포털에서 실행한 활성화 기록 (최신순).",
    ),
    (
        "history.empty",
        "No activation matches.",
        "일치하는 활성화가 없습니다.",
    ),
    ("history.when", "When", "시각"),
    ("history.who", "Who", "사용자"),
    ("history.destinations", "Destinations", "대상"),
    ("history.segments", "Segments", "세그먼트"),
    ("history.outcome", "Outcome", "결과"),
    ("history.details", "Details", "상세"),
    ("history.more", "Show older", "이전 기록 더 보기"),
    ("history.filter.destination", "Destination id", "대상 ID"),
    ("history.filter.segment", "Segment id", "세그먼트 ID"),
    ("history.filter.user", "User", "사용자"),
    ("history.filter.outcome", "Outcome", "결과"),
    ("history.filter.from", "From date", "시작 날짜"),
    (
        "history.filter.until",
        "Until date (included)",
        "종료 날짜 (포함)",
    ),
    ("history.filter.any", "Any", "전체"),
    ("outcome.pending", "Sending", "보내는 중"),
    ("outcome.accepted", "Accepted", "접수됨"),
    ("outcome.rejected", "Rejected", "거부됨"),
    ("outcome.failed", "Failed", "실패"),
    ("outcome.unknown", "Being checked", "확인 중"),
    ("detail.title", "Activation", "활성화"),
    ("detail.back", "Back to the history", "기록으로 돌아가기"),
    ("detail.error", "Error", "오류"),
    (
        "notfound.title",
        "Page not found",
        "페이지를 찾을 수 없습니다",
    ),
    (
        "notfound.text",
        "There is nothing at this address.",
        "이 주소에는 아무것도 없습니다.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages_and_is_unique() {
        let mut keys: Vec<&str> = CATALOGUE.iter().map(|(k, _, _)| *k).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "duplicate keys");
        for (key, en, ko) in CATALOGUE {
            assert!(!en.is_empty() && !ko.is_empty(), "{key}");
            assert_ne!(en, ko, "{key} is not translated");
        }
    }

    #[test]
    fn languages_are_read_from_codes() {
        assert_eq!(Lang::from_code("ko-KR"), Some(Lang::Ko));
        assert_eq!(Lang::from_code("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(text(Lang::Ko, "nav.history"), "기록");
    }
}
