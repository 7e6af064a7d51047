//! The OpenAPI document of `/api/v1`, built from the one list of routes below; a test holds
//! the list to the routes the server really has.

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::AppState;

/// An API route: path, summary, whether it is a list taking filter, sort and paging, and
/// what a `POST` to it does, if it takes one.
pub struct ApiRoute {
    pub path: &'static str,
    pub summary: &'static str,
    pub list: bool,
    pub post: Option<&'static str>,
}

/// Every `GET` route under `/api/v1`.
pub const ROUTES: [ApiRoute; 11] = [
    ApiRoute {
        path: "/api/v1/customers",
        summary: "The customers in the caller's scope, each with the figures of sections 3 and 5",
        list: true,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}",
        summary: "One customer with its figures",
        list: false,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/invoices",
        summary: "A customer's open items with their figures",
        list: true,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/notes",
        summary: "A customer's account notes, newest first",
        list: false,
        post: Some("Adds an account note: `{\"note\": \"…\"}` (every role that sees the customer)"),
    },
    ApiRoute {
        path: "/api/v1/actions",
        summary: "The caller's open issues and activities, by priority then respond-by date",
        list: true,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/dashboard",
        summary: "The dashboard figures of the caller (or, for managers and admins, of `user`)",
        list: false,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/syncs",
        summary: "The latest syncs with their counts and problems (admins)",
        list: false,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/generate-runs",
        summary: "The latest generate runs (admins)",
        list: false,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/users",
        summary: "Every user with role, manager, sign-in state and assigned customers (admins)",
        list: false,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/settings",
        summary: "The site settings (admins)",
        list: false,
        post: None,
    },
    ApiRoute {
        path: "/api/v1/openapi.json",
        summary: "This document",
        list: false,
        post: None,
    },
];

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(|| async { Json(document()) }))
}

fn parameter(name: &str, place: &str, description: &str, schema: Value) -> Value {
    json!({
        "name": name,
        "in": place,
        "required": place == "path",
        "description": description,
        "schema": schema,
    })
}

fn operation(route: &ApiRoute) -> Value {
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| parameter(name, "path", name, json!({"type": "string"})))
        .collect();
    if route.list {
        parameters.extend([
            parameter(
                "filter",
                "query",
                "A filter in the rules' language (section 4)",
                json!({"type": "string"}),
            ),
            parameter(
                "sort",
                "query",
                "A field name, `-` in front for descending",
                json!({"type": "string"}),
            ),
            parameter(
                "page",
                "query",
                "The page, from 1",
                json!({"type": "integer", "minimum": 1}),
            ),
            parameter(
                "per_page",
                "query",
                "Rows per page, at most 500",
                json!({"type": "integer", "minimum": 1, "maximum": 500}),
            ),
        ]);
    }
    if route.path == "/api/v1/dashboard" {
        parameters.push(parameter(
            "user",
            "query",
            "Whose dashboard",
            json!({"type": "string"}),
        ));
    }
    let ok = if route.list {
        json!({"$ref": "#/components/schemas/List"})
    } else {
        json!({"type": "object"})
    };
    let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut responses = json!({
        "200": {"description": "OK", "content": {"application/json": {"schema": ok}}},
    });
    if route.path != "/api/v1/openapi.json" {
        for (code, what) in [
            ("400", "Malformed request"),
            ("401", "No valid token"),
            ("404", "No such record in the caller's scope"),
            ("422", "A bad filter, sort or field"),
        ] {
            let mut e = error.clone();
            e["description"] = what.into();
            responses[code] = e;
        }
    }
    json!({
        "summary": route.summary,
        "parameters": parameters,
        "responses": responses,
        "security": if route.path == "/api/v1/openapi.json" { json!([]) } else { json!([{"bearer": []}]) },
    })
}

fn post_operation(route: &ApiRoute, summary: &str) -> Value {
    let mut op = operation(route);
    op["summary"] = summary.into();
    op["requestBody"] = json!({
        "required": true,
        "content": {"application/json": {"schema": {
            "type": "object", "required": ["note"], "properties": {"note": {"type": "string"}}
        }}},
    });
    op["responses"]["201"] = json!({"description": "Created"});
    if let Some(r) = op["responses"].as_object_mut() {
        r.remove("200");
    }
    op
}

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in &ROUTES {
        let mut item = json!({ "get": operation(route) });
        if let Some(summary) = route.post {
            item["post"] = post_operation(route, summary);
        }
        paths.insert(route.path.to_owned(), item);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Arrears API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts-receivable collections: customers, their figures, open items and actions.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "List": {
                    "type": "object",
                    "required": ["items", "total"],
                    "properties": {
                        "items": {"type": "array", "items": {"type": "object"}},
                        "total": {"type": "integer"},
                    },
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    /// Every `/api/v1` route the source declares is in the document, and no other.
    #[test]
    fn the_document_names_exactly_the_routes_the_server_has() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut declared = Vec::new();
        let mut files = vec![format!("{dir}/openapi.rs")];
        for entry in std::fs::read_dir(format!("{dir}/routes")).unwrap() {
            files.push(entry.unwrap().path().display().to_string());
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for part in text.split(".route(").skip(1) {
                let path = part.trim_start().trim_start_matches('"');
                let path = &path[..path.find('"').unwrap()];
                if path.starts_with("/api/v1") {
                    declared.push(path.to_owned());
                }
            }
        }
        declared.sort();
        let mut documented: Vec<String> = super::ROUTES.iter().map(|r| r.path.to_owned()).collect();
        documented.sort();
        assert_eq!(declared, documented);
        let doc = super::document();
        assert_eq!(doc["paths"].as_object().unwrap().len(), super::ROUTES.len());
    }
}
