//! CPU cost of one JS-SDK signature and of the whole answer body of
//! `POST /api/jssdk/signatures` (two fresh nonces, two signatures, JSON), in-process:
//! `cargo bench -p desk-server --bench sign` (`make bench` runs it after the
//! endpoint's wrk run).

use std::hint::black_box;

use desk_server::wecom::jssdk::{sign, signatures_for};

const TICKET: &str =
    "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
const URL: &str = "https://desk.example.com/orders/42?from=menu";

fn main() {
    divan::main();
}

/// One signature: sha1 over the string to sign.
#[divan::bench]
fn one_signature(bencher: divan::Bencher) {
    let mut timestamp = 1_414_587_457i64;
    bencher.bench_local(|| {
        timestamp += 1;
        sign(
            black_box(TICKET),
            "Wm3WZYTPz0wzccnW",
            timestamp,
            black_box(URL),
        )
    });
}

/// One answer: two nonces, two signatures (corp and agent ticket) and the JSON body.
#[divan::bench]
fn one_answer() -> Vec<u8> {
    let s = signatures_for(
        "ww1",
        1000002,
        black_box(TICKET),
        TICKET,
        black_box(URL),
        1_700_000_000,
    );
    serde_json::to_vec(&s).expect("json")
}
