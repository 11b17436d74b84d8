//! An offline Adobe Experience Platform: IMS and the Platform endpoints of the portal's allowlist,
//! as an axum `Router` with its state.
