//! CPU cost of one JS-SDK signature and of the whole answer body (two signatures,
//! fresh nonces, JSON): `cargo run --release -p desk-server --example sign_cost`.

use std::hint::black_box;
use std::time::Instant;

use desk_server::wecom::jssdk::{sign, signatures_for};

fn main() {
    let ticket =
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
    let url = "https://desk.example.com/orders/42?from=menu";
    let n = 1_000_000u32;

    let start = Instant::now();
    for i in 0..n {
        black_box(sign(
            black_box(ticket),
            "Wm3WZYTPz0wzccnW",
            1_414_587_457 + i as i64,
            url,
        ));
    }
    let one = start.elapsed().as_nanos() as f64 / n as f64;

    let start = Instant::now();
    for _ in 0..n / 4 {
        let s = signatures_for("ww1", 1000002, ticket, ticket, url, 1_700_000_000);
        black_box(serde_json::to_vec(&s).expect("json"));
    }
    let body = start.elapsed().as_nanos() as f64 / (n / 4) as f64;

    println!("one signature (sha1 over the string to sign): {one:.0} ns");
    println!("one answer (2 nonces + 2 signatures + JSON):  {body:.0} ns");
}
