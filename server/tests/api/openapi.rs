//! `GET /api/openapi.json`: a valid OpenAPI 3.1 document that an integrator can feed
//! to a client generator, listing every route the server mounts, each with the way a
//! caller proves who it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use oas3::spec::{ObjectOrReference, ParameterIn, SecurityScheme};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

/// The document as served, raw and as read by an OpenAPI 3.1 parser.
async fn document(app: &TestApp) -> (Value, oas3::Spec) {
    let resp = app.get("/api/openapi.json").await;
    assert_eq!(resp.status(), 200, "the document is public");
    assert!(
        crate::helpers::header(&resp, "content-type").starts_with("application/json"),
        "{}",
        crate::helpers::header(&resp, "content-type")
    );
    let text = resp.text().await.expect("body");
    let raw: Value = serde_json::from_str(&text).expect("JSON");
    let spec = oas3::from_json(&text).expect("an OpenAPI 3.1 document");
    (raw, spec)
}

/// `(path, method)` of every documented operation, method in lower case.
fn documented(spec: &oas3::Spec) -> BTreeSet<(String, String)> {
    spec.operations()
        .map(|(path, method, _)| (path, method.as_str().to_ascii_lowercase()))
        .collect()
}

/// The `{name}`s of a path template.
fn template_params(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

#[tokio::test]
async fn the_document_is_public_openapi_3_1_named_after_the_product_and_its_version() {
    let app = spawn_app().await;

    let (_, spec) = document(&app).await;

    let version = spec
        .validate_version()
        .expect("a supported OpenAPI version");
    assert_eq!((version.major, version.minor), (3, 1));
    assert_eq!(spec.info.title, "WeCom Desk");
    assert_eq!(spec.info.version, env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn every_reference_resolves_every_path_parameter_is_declared_and_errors_are_api_errors() {
    let app = spawn_app().await;

    let (raw, spec) = document(&app).await;

    let mut refs = Vec::new();
    collect_refs(&raw, &mut refs);
    assert!(refs.len() > 50, "only {} $refs: no schemas?", refs.len());
    for r in &refs {
        let pointer = r
            .strip_prefix("#/components/")
            .map(|rest| format!("/components/{rest}"))
            .unwrap_or_else(|| panic!("{r} is not a reference to a component"));
        assert!(raw.pointer(&pointer).is_some(), "{r} resolves to nothing");
    }

    let error_schema = &raw["components"]["schemas"]["ApiError"];
    let required: BTreeSet<&str> = error_schema["required"]
        .as_array()
        .expect("ApiError lists its required fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, BTreeSet::from(["code", "message"]));
    assert!(
        error_schema["properties"]["code"]["$ref"] == "#/components/schemas/ErrorCode",
        "{error_schema}"
    );
    let codes = raw["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum of strings");
    for code in [
        "not_logged_in",
        "bad_api_key",
        "admin_only",
        "invalid_field",
    ] {
        assert!(
            codes.iter().any(|c| c == code),
            "{code} missing from ErrorCode"
        );
    }

    let tags: BTreeSet<&str> = spec.tags.iter().map(|t| t.name.as_str()).collect();
    let mut operation_ids = BTreeSet::new();
    for (path, method, op) in spec.operations() {
        let at = format!("{method} {path}");
        let id = op
            .operation_id
            .clone()
            .unwrap_or_else(|| panic!("{at}: no operationId"));
        assert!(
            operation_ids.insert(id.clone()),
            "{at}: operationId {id} twice"
        );
        assert!(!op.tags.is_empty(), "{at}: no tag");
        for tag in &op.tags {
            assert!(
                tags.contains(tag.as_str()),
                "{at}: tag {tag} is not described"
            );
        }

        let params = op.parameters(&spec).expect("parameters resolve");
        let declared: BTreeSet<String> = params
            .iter()
            .filter(|p| p.location == ParameterIn::Path)
            .map(|p| p.name.clone())
            .collect();
        assert_eq!(declared, template_params(&path), "{at}: path parameters");
        for p in params.iter().filter(|p| p.location == ParameterIn::Path) {
            assert_eq!(p.required, Some(true), "{at}: path parameter {}", p.name);
        }

        let responses = op.responses.as_ref().expect("responses");
        assert!(!responses.is_empty(), "{at}: no response");
        for (status, response) in responses {
            assert!(
                status.len() == 3 && status.parse::<u16>().is_ok(),
                "{at}: status {status}"
            );
            let ObjectOrReference::Object(response) = response else {
                panic!("{at} {status}: a reference where an answer was expected");
            };
            if status.starts_with('4') || status.starts_with('5') {
                let schema = response
                    .content
                    .get("application/json")
                    .and_then(|m| serde_json::to_value(&m.schema).ok());
                assert_eq!(
                    schema.as_ref().and_then(|s| s.get("$ref")),
                    Some(&Value::from("#/components/schemas/ApiError")),
                    "{at} {status}: an error answer that is not {{code, message}}"
                );
            }
        }
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_route_the_server_mounts_is_documented_with_its_method() {
    let app = spawn_app().await;
    let (_, spec) = document(&app).await;
    let documented = documented(&spec);
    let documented_paths: BTreeSet<&String> = documented.iter().map(|(p, _)| p).collect();

    let mounted = mounted_routes();

    // The scan understands every way the capabilities register routes.
    for route in [
        ("/healthz", "get"),
        ("/api/v1/staff/{staffId}", "delete"),
        ("/api/admin/pool", "post"),
        ("/wecom/callback", "post"),
        ("/api/openapi.json", "get"),
    ] {
        assert!(
            mounted.contains(&(route.0.to_string(), route.1.to_string())),
            "the source scan missed {route:?}: {mounted:?}"
        );
    }
    assert!(mounted.len() >= 30, "only {} routes found", mounted.len());
    let missing: Vec<_> = mounted
        .iter()
        .filter(|(path, method)| match method.as_str() {
            "*" => !documented_paths.contains(path),
            _ => !documented.contains(&(path.clone(), method.clone())),
        })
        .collect();
    assert!(
        missing.is_empty(),
        "mounted but not in /api/openapi.json (add #[utoipa::path] and list the handler in its capability's `Api`): {missing:?}"
    );
}

#[tokio::test]
async fn every_documented_operation_is_served_and_asks_for_the_credentials_it_documents() {
    let app = spawn_app().await;
    let (raw, spec) = document(&app).await;

    let mut checked = 0;
    for (path, method, op) in spec.operations() {
        // Served by the metrics capability, with its own tests.
        if path == "/metrics" {
            continue;
        }
        let at = format!("{method} {path}");
        let key = method.as_str().to_ascii_lowercase();
        let url = template_params(&path).iter().fold(path.clone(), |p, name| {
            p.replace(&format!("{{{name}}}"), "probe-1")
        });

        // No credentials, no query, no body.
        let resp = app
            .http
            .request(method, format!("{}{url}", app.address))
            .send()
            .await
            .expect("server answers");
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        let code = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_string))
            .unwrap_or_default();

        assert_ne!(status, 405, "{at}: method not served: {body}");
        // What the server answers for a path nothing serves: its JSON "no such API"
        // under /api and /wecom, the H5 elsewhere.
        assert!(
            !(status == 404 && (code.is_empty() || body.contains("No such API"))),
            "{at}: no such route: {body}"
        );
        let listed = raw["paths"][&path][&key]["responses"]
            .as_object()
            .expect("responses");
        assert!(
            listed.contains_key(&status.to_string()),
            "{at}: answered {status} {body}, not a documented answer"
        );
        let schemes: Vec<&str> = op
            .security
            .iter()
            .flat_map(|r| r.0.keys().map(String::as_str))
            .collect();
        match schemes.as_slice() {
            ["api_key"] => assert_eq!((status, code.as_str()), (401, "bad_api_key"), "{at}"),
            ["session_cookie"] => {
                assert_eq!((status, code.as_str()), (401, "not_logged_in"), "{at}")
            }
            [] => assert_ne!(status, 401, "{at}: public, yet asks for credentials"),
            other => panic!("{at}: unexpected security {other:?}"),
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} operations");
}

#[tokio::test]
async fn the_api_key_and_the_session_cookie_are_declared_and_each_area_requires_its_own() {
    let app = spawn_app().await;

    let (raw, spec) = document(&app).await;

    let schemes = &spec
        .components
        .as_ref()
        .expect("components")
        .security_schemes;
    match schemes.get("api_key") {
        Some(ObjectOrReference::Object(SecurityScheme::Http { scheme, .. })) => {
            assert!(scheme.eq_ignore_ascii_case("bearer"), "{scheme}")
        }
        other => panic!("api_key is not an HTTP bearer scheme: {other:?}"),
    }
    match schemes.get("session_cookie") {
        Some(ObjectOrReference::Object(SecurityScheme::ApiKey { name, location, .. })) => {
            assert_eq!(
                (name.as_str(), location.as_str()),
                ("desk_session", "cookie")
            )
        }
        other => panic!("session_cookie is not a cookie: {other:?}"),
    }

    let public: BTreeSet<(&str, &str)> = BTreeSet::from([
        ("/healthz", "get"),
        ("/api/session", "get"),
        ("/api/openapi.json", "get"),
        ("/api/jssdk/signatures", "post"),
        ("/auth/login", "get"),
        ("/auth/callback", "get"),
        ("/auth/logout", "post"),
        ("/wecom/callback", "get"),
        ("/wecom/callback", "post"),
    ]);
    let mut security: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, method, op) in spec.operations() {
        let method = method.as_str().to_ascii_lowercase();
        let at = format!("{method} {path}");
        let required: Vec<Vec<String>> = op
            .security
            .iter()
            .map(|r| r.0.keys().cloned().collect())
            .collect();
        for name in required.iter().flatten() {
            assert!(schemes.contains_key(name), "{at}: unknown scheme {name}");
        }
        let want: Vec<Vec<String>> = if public.contains(&(path.as_str(), method.as_str())) {
            vec![]
        } else if path.starts_with("/api/v1/") {
            vec![vec!["api_key".into()]]
        } else if path.starts_with("/api/") {
            vec![vec!["session_cookie".into()]]
        } else if path == "/metrics" {
            vec![vec!["metrics_token".into()], vec![]]
        } else {
            panic!("{at}: which caller is it for?")
        };
        assert_eq!(required, want, "{at}");
        if path.starts_with("/api/admin/") {
            let op_raw = &raw["paths"][&path][&method];
            assert!(
                op_raw["description"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("Admins only"),
                "{at}: does not say it is for admins"
            );
            assert!(
                op_raw["responses"]["403"].is_object(),
                "{at}: no 403 admin_only"
            );
        }
        security.insert(at, required.into_iter().flatten().collect());
    }
    assert!(security.keys().filter(|k| k.contains(" /api/v1/")).count() >= 7);

    let callback: BTreeSet<String> = spec
        .operation(&Method::POST, "/wecom/callback")
        .expect("POST /wecom/callback")
        .parameters(&spec)
        .expect("parameters")
        .into_iter()
        .filter(|p| p.location == ParameterIn::Query && p.required == Some(true))
        .map(|p| p.name)
        .collect();
    assert_eq!(
        callback,
        BTreeSet::from(["msg_signature".into(), "timestamp".into(), "nonce".into()])
    );
}

// ---- the routes the source mounts --------------------------------------------------

/// `(path, method)` of every route the server's capabilities mount, read from
/// `server/src` (not the simulator, which stands in for WeCom, nor the H5's static
/// pages): `web::resource("/path")` then `.get(h)`, `.post(h)`, … or
/// `.route(web::get().to(h))`; a resource that answers every method (`.to(h)`) has
/// the method `*`. Any other way of registering a route fails the scan, so a new one
/// cannot slip past: register it like the others.
fn mounted_routes() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut routes = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src").to_path_buf();
        if rel.starts_with("simulator") || rel.starts_with("h5") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source");
        let text = strip_line_comments(&text);
        let at = |what: &str| format!("{}: {what}", rel.display());
        for attr in [
            "#[get(",
            "#[post(",
            "#[put(",
            "#[delete(",
            "#[patch(",
            "#[route(",
        ] {
            assert!(
                !text.contains(attr),
                "{}",
                at("route macros are not scanned; mount with web::resource in configure")
            );
        }
        for (path, rest) in calls(&text, "web::resource(") {
            let chain = after_paren(&rest).unwrap_or_default();
            let methods = chain_methods(chain).unwrap_or_else(|| {
                panic!(
                    "{}",
                    at(&format!("cannot read the methods of {path}: {chain}"))
                )
            });
            assert!(
                !methods.is_empty(),
                "{}",
                at(&format!("{path} has no method"))
            );
            for m in methods {
                routes.insert((path.clone(), m));
            }
        }
        for (path, rest) in calls(&text, "web::scope(") {
            // A scope only catches what no route took (`/api`, `/wecom`: JSON 404s).
            let only_fallback = after_paren(&rest)
                .and_then(chain_calls)
                .is_some_and(|calls| calls.iter().all(|(name, _)| name == "default_service"));
            assert!(
                only_fallback,
                "{}",
                at(&format!("routes inside web::scope({path}) are not scanned"))
            );
        }
        if let Some((path, _)) = calls(&text, ".route(").first() {
            panic!(
                "{}",
                at(&format!(
                    ".route(\"{path}\", …) outside a resource is not scanned"
                ))
            );
        }
    }
    routes
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without `//` comments (doc comments mention routes too). Naive about
/// `//` inside strings, which no route registration has.
fn strip_line_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// For each `prefix"literal"` in `text`: the literal and the text after it.
fn calls(text: &str, prefix: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        rest = &rest[i + prefix.len()..];
        let Some(lit) = rest.strip_prefix('"') else {
            continue;
        };
        let Some(end) = lit.find('"') else { break };
        found.push((lit[..end].to_string(), lit[end + 1..].to_string()));
    }
    found
}

/// What follows `("literal"`: the builder chain after the `)`.
fn after_paren(rest: &str) -> Option<&str> {
    rest.trim_start().strip_prefix(')')
}

/// The methods a resource's builder chain (`.get(h).route(web::post().to(g))…`) serves.
fn chain_methods(chain: &str) -> Option<Vec<String>> {
    let mut methods = Vec::new();
    for (name, args) in chain_calls(chain)? {
        match name.as_str() {
            "get" | "post" | "put" | "delete" | "patch" | "head" => methods.push(name),
            "route" => {
                let m = args.trim().strip_prefix("web::")?;
                let m = &m[..m.find("()")?];
                if !["get", "post", "put", "delete", "patch", "head"].contains(&m) {
                    return None;
                }
                methods.push(m.to_string());
            }
            "to" => methods.push("*".into()),
            "app_data" | "wrap" | "name" | "default_service" => {}
            _ => return None,
        }
    }
    Some(methods)
}

/// The `.name(args)` calls at the start of `chain`, until something else comes.
fn chain_calls(chain: &str) -> Option<Vec<(String, String)>> {
    let mut calls = Vec::new();
    let mut rest = chain.trim_start();
    while let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
        let name = r[..end].to_string();
        let r = r[end..].trim_start();
        let len = balanced(r)?;
        calls.push((name, r[1..len - 1].to_string()));
        rest = r[len..].trim_start();
    }
    Some(calls)
}

/// The length of the parenthesised group `text` starts with (strings skipped).
fn balanced(text: &str) -> Option<usize> {
    if !text.starts_with('(') {
        return None;
    }
    let mut depth = 0;
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}
