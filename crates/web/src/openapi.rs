//! The OpenAPI document of `/api/v1`, built from the one list of routes below; a test holds
//! the list to the routes the server really has.

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::AppState;

/// An API route: path, summary, whether it is a list taking filter, sort and paging, and
/// what each write to it does.
pub struct ApiRoute {
    pub path: &'static str,
    pub summary: &'static str,
    pub list: bool,
    pub writes: &'static [Write],
}

/// A write route: its method, what it does, and its body's media type and schema (JSON text).
pub struct Write {
    pub method: &'static str,
    pub summary: &'static str,
    pub content: &'static str,
    pub body: &'static str,
    /// The status of a success: 200 or 201.
    pub status: &'static str,
}

/// Every `GET` route under `/api/v1`.
pub const ROUTES: [ApiRoute; 34] = [
    ApiRoute {
        path: "/api/v1/customers",
        summary: "The customers in the caller's scope, each with the figures of sections 3 and 5",
        list: true,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}",
        summary: "One customer with its figures",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/invoices",
        summary: "A customer's open items with their figures",
        list: true,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/notes",
        summary: "A customer's account notes, newest first",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Adds an account note (every role that sees the customer)",
            content: "application/json",
            body: r#"{"type": "object", "required": ["note"], "properties": {"note": {"type": "string"}}}"#,
            status: "201",
        }],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/activities",
        summary: "A customer's Communication History: every activity, newest first, with its tagged invoices",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Logs a communication on an open issue (`issue_id`) or a new one: type or action code, description, note, call result, tagged invoices, follow-up, complete, resolve, and an expected payment or promise to pay (amount in the tagged invoices' currency, date not before the business date)",
            content: "application/json",
            body: r#"{"type": "object", "properties": {"issue_id": {"type": "integer"}, "activity_type": {"type": "string"}, "action_code": {"type": "string"}, "description": {"type": "string"}, "note": {"type": "string"}, "call_result": {"enum": ["spoke", "no_contact"]}, "tagged": {"type": "array", "items": {"type": "string"}}, "followup_date": {"type": "string", "format": "date"}, "followup_user": {"type": "string"}, "followup_desc": {"type": "string"}, "followup_days": {"type": "integer"}, "assigned_user": {"type": "string"}, "complete": {"type": "boolean"}, "resolve": {"type": "string"}, "expected_amount": {"type": "string"}, "expected_date": {"type": "string", "format": "date"}, "promise": {"type": "boolean"}}}"#,
            status: "201",
        }],
    },
    ApiRoute {
        path: "/api/v1/activities/{activity_id}",
        summary: "One activity with its tagged invoices and version",
        list: false,
        writes: &[Write {
            method: "patch",
            summary: "Works an activity read at `version`: the Communication fields; 409 when someone changed it meanwhile or its issue is resolved",
            content: "application/json",
            body: r#"{"type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}, "description": {"type": "string"}, "note": {"type": "string"}, "call_result": {"enum": ["spoke", "no_contact"]}, "tagged": {"type": "array", "items": {"type": "string"}}, "followup_date": {"type": "string", "format": "date"}, "followup_user": {"type": "string"}, "followup_desc": {"type": "string"}, "followup_days": {"type": "integer"}, "assigned_user": {"type": "string"}, "complete": {"type": "boolean"}, "resolve": {"type": "string"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/issues/{issue_id}",
        summary: "One issue with its activities",
        list: false,
        writes: &[Write {
            method: "patch",
            summary: "Resolves (`resolve`) or reassigns (`assigned_user`, null for the unassigned pool) an issue read at `version`",
            content: "application/json",
            body: r#"{"type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}, "resolve": {"type": "string"}, "assigned_user": {"type": ["string", "null"]}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/invoices/{tran_id}/notes",
        summary: "The notes on one invoice, newest first",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Adds a note to the invoice",
            content: "application/json",
            body: r#"{"type": "object", "required": ["note"], "properties": {"note": {"type": "string"}}}"#,
            status: "201",
        }],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/disputes",
        summary: "A customer's disputes, open and closed, newest first",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Opens a dispute on an open invoice: amount (invoice currency), dispute date, reason code, exclude from aging; with a Dispute issue of its own unless `activity_id` names the activity it comes from",
            content: "application/json",
            body: r#"{"type": "object", "required": ["tran_id", "amount", "reason_code"], "properties": {"tran_id": {"type": "string"}, "amount": {"type": "string"}, "dispute_date": {"type": "string", "format": "date"}, "reason_code": {"type": "string"}, "exclude_from_aging": {"type": "boolean"}, "note": {"type": "string"}, "activity_id": {"type": "integer"}, "assigned_user": {"type": "string"}}}"#,
            status: "201",
        }],
    },
    ApiRoute {
        path: "/api/v1/disputes/{dispute_id}",
        summary: "One dispute",
        list: false,
        writes: &[Write {
            method: "patch",
            summary: "Closes a dispute read at `version` with a resolution and its date; what it excluded returns to the aging",
            content: "application/json",
            body: r#"{"type": "object", "required": ["version", "resolution"], "properties": {"version": {"type": "integer"}, "resolution": {"type": "string"}, "closed_date": {"type": "string", "format": "date"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/history",
        summary: "A customer's event log, oldest first: who changed what, when, before and after",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/actions",
        summary: "The caller's open issues and activities, by priority then respond-by date; `user=ID` for a team member's, `user=unassigned` for the unassigned pool's",
        list: true,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/dashboard",
        summary: "The dashboard figures of the caller (or, for managers and admins, of `user`)",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/syncs",
        summary: "The latest syncs with their counts and problems (admins)",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Imports one sync: its CSV files as parts named `files`; 422 lists every problem and nothing is written (admins)",
            content: "multipart/form-data",
            body: r#"{"type": "object", "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/events",
        summary: "The event log, oldest first: every change to issues, activities, promises, disputes, payment plans, user actions, setup and settings, with who, when and the record before and after; `company_id`, `customer_id`, `entity`, `from` and `to` (business dates) narrow it, `page` and `per_page` page it (admins)",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/generate-runs",
        summary: "The latest generate runs (admins)",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/users",
        summary: "Every user with role, manager, sign-in state and assigned customers (admins)",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Adds or changes a user, checked as an imported one (admins)",
            content: "application/json",
            body: r#"{"type": "object", "required": ["user_id", "name", "role"], "properties": {"user_id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"}, "role": {"type": "string", "enum": ["admin", "manager", "collector", "inquiry"]}, "manager": {"type": "string"}, "active": {"type": "boolean"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/settings",
        summary: "The site settings (admins)",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/settings/{key}",
        summary: "One site setting (admins)",
        list: false,
        writes: &[Write {
            method: "put",
            summary: "Sets one site setting; an empty value restores the default (admins)",
            content: "application/json",
            body: r#"{"type": "object", "required": ["value"], "properties": {"value": {"type": "string"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/rules",
        summary: "Every credit class rule with its filter and options (admins)",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Adds or changes a rule, checked as an imported one; 422 lists every problem by column (admins)",
            content: "application/json",
            body: r#"{"type": "object", "required": ["company_id", "credit_class", "seq_no", "action_code", "view", "filter"], "properties": {"company_id": {"type": "string"}, "credit_class": {"type": "string"}, "seq_no": {"type": "integer"}, "action_code": {"type": "string"}, "view": {"type": "string", "enum": ["customer", "invoice"]}, "filter": {"type": "string"}, "standalone": {"type": "boolean"}, "create_if_exists": {"type": "boolean"}, "auto_close": {"type": "boolean"}, "days_to_respond": {"type": "integer"}, "override_user": {"type": "string"}, "followup_days": {"type": "integer"}, "followup_user": {"type": "string"}, "active": {"type": "boolean"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/generate",
        summary: "The latest generate runs (admins); POST runs or previews one",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Generates actions, or previews them with `preview` (admins)",
            content: "application/json",
            body: r#"{"type": "object", "properties": {"as_of": {"type": "string", "format": "date"}, "company": {"type": "string"}, "credit_class": {"type": "string"}, "preview": {"type": "boolean"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/views",
        summary: "The caller's saved views of My Accounts",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Saves a view of My Accounts under its name (its query is checked)",
            content: "application/json",
            body: r#"{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "filter": {"type": "string"}, "sort": {"type": "string"}, "columns": {"type": "string"}, "per_page": {"type": "string"}, "is_default": {"type": "boolean"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/openapi.json",
        summary: "This document",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/expected-payments",
        summary: "A customer's expected payments and promises to pay, latest date first: amount, date, tagged invoices, status (open, kept, broken, missed, cancelled), actual amount and date",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/expected-payments/{expected_id}",
        summary: "One expected payment with its version",
        list: false,
        writes: &[Write {
            method: "patch",
            summary: "Cancels an open expected payment read at `version` (`status`: `cancelled`); 409 when it changed meanwhile or is settled",
            content: "application/json",
            body: r#"{"type": "object", "required": ["version", "status"], "properties": {"version": {"type": "integer"}, "status": {"enum": ["cancelled"]}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/payment-plans",
        summary: "A customer's payment plans, newest first: the invoice, its original due date and amounts, the instalments, who made and cancelled the plan and when, and for the plan in force its `schedule` (each instalment's paid amount, balance, closing date and days paid late)",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Admins only: makes a payment plan on an open invoice (`tran_id`); its instalments (`due_date`, `amount` in the invoice's currency) must add up to the invoice's balance; 409 when a plan is already in force",
            content: "application/json",
            body: r#"{"type": "object", "required": ["tran_id", "instalments"], "properties": {"tran_id": {"type": "string"}, "instalments": {"type": "array", "items": {"type": "object", "required": ["due_date", "amount"], "properties": {"due_date": {"type": "string", "format": "date"}, "amount": {"type": "string"}}}}, "note": {"type": "string"}}}"#,
            status: "201",
        }],
    },
    ApiRoute {
        path: "/api/v1/customers/{company_id}/{customer_id}/assignment",
        summary: "Who the customer is assigned to (`assigned_user`, none for the unassigned pool), whether an admin set it here (`source`: `arrears`) or customers.csv did (`sync`), what customers.csv says (`sync_user`), and who assigned it when",
        list: false,
        writes: &[
            Write {
                method: "put",
                summary: "Admins only: assigns the customer to `user_id` (null: the unassigned pool); later syncs keep it",
                content: "application/json",
                body: r#"{"type": "object", "required": ["user_id"], "properties": {"user_id": {"type": ["string", "null"]}}}"#,
                status: "200",
            },
            Write {
                method: "delete",
                summary: "Admins only: hands the customer back to the assignment customers.csv gives it",
                content: "application/json",
                body: "",
                status: "200",
            },
        ],
    },
    ApiRoute {
        path: "/api/v1/assignments",
        summary: "Admins only: the customers an admin assigned here, which syncs keep, with what customers.csv says of each",
        list: false,
        writes: &[Write {
            method: "post",
            summary: "Admins only: assigns every customer a customer-view `filter` matches (all when empty) to `user_id` (null or absent: the unassigned pool), or with `sync` back to customers.csv's assignment; `preview` counts without changing anything. Answers `matched` and `moved`",
            content: "application/json",
            body: r#"{"type": "object", "properties": {"filter": {"type": "string"}, "user_id": {"type": ["string", "null"]}, "sync": {"type": "boolean"}, "preview": {"type": "boolean"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/payment-plans/{plan_id}",
        summary: "One payment plan with its version and, while in force, its schedule",
        list: false,
        writes: &[Write {
            method: "patch",
            summary: "Admins only: cancels the plan in force read at `version` (`status`: `cancelled`); the invoice ages by its original terms again",
            content: "application/json",
            body: r#"{"type": "object", "required": ["version", "status"], "properties": {"version": {"type": "integer"}, "status": {"enum": ["cancelled"]}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/user-actions",
        summary: "The caller's open user actions (broken promises, follow-ups past due), by priority",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/user-actions/{user_action_id}",
        summary: "One user action",
        list: false,
        writes: &[Write {
            method: "patch",
            summary: "Sets a user action's own description or priority (0 or empty: its kind's), or closes it (`close`), read at `version`",
            content: "application/json",
            body: r#"{"type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}, "description": {"type": "string"}, "priority": {"type": "integer"}, "close": {"type": "boolean"}}}"#,
            status: "200",
        }],
    },
    ApiRoute {
        path: "/api/v1/actions/counts",
        summary: "Each user's open work as the caller may see it: open issues and activities, due today, past due, user actions by kind",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/user-action-types",
        summary: "The kinds of user action with the description and priority they show",
        list: false,
        writes: &[],
    },
    ApiRoute {
        path: "/api/v1/user-action-types/{kind}",
        summary: "One kind of user action",
        list: false,
        writes: &[Write {
            method: "put",
            summary: "Sets the description and priority a kind of user action shows (admins)",
            content: "application/json",
            body: r#"{"type": "object", "required": ["description", "priority"], "properties": {"description": {"type": "string"}, "priority": {"type": "integer"}}}"#,
            status: "200",
        }],
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
    if route.path == "/api/v1/events" {
        let text = json!({"type": "string"});
        let day = json!({"type": "string", "format": "date"});
        parameters.extend([
            parameter("company_id", "query", "One company's events", text.clone()),
            parameter(
                "customer_id",
                "query",
                "One customer's events",
                text.clone(),
            ),
            parameter(
                "entity",
                "query",
                "One kind of record: issue, rule, setting…",
                text,
            ),
            parameter("from", "query", "From this business date", day.clone()),
            parameter("to", "query", "To this business date", day),
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

fn write_operation(route: &ApiRoute, write: &Write) -> Value {
    let mut op = operation(route);
    op["summary"] = write.summary.into();
    if !write.body.is_empty() {
        let schema: Value = serde_json::from_str(write.body).unwrap_or_else(|_| json!({}));
        op["requestBody"] = json!({
            "required": true,
            "content": {write.content: {"schema": schema}},
        });
    }
    if let Some(r) = op["responses"].as_object_mut() {
        r.remove("200");
        r.insert(
            write.status.to_owned(),
            json!({"description": "Done", "content": {"application/json": {"schema": {"type": "object"}}}}),
        );
    }
    op
}

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in &ROUTES {
        let mut item = json!({ "get": operation(route) });
        for write in route.writes {
            item[write.method] = write_operation(route, write);
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
        // A path may be declared in two files, one method in each.
        declared.dedup();
        let mut documented: Vec<String> = super::ROUTES.iter().map(|r| r.path.to_owned()).collect();
        documented.sort();
        assert_eq!(declared, documented);
        let doc = super::document();
        assert_eq!(doc["paths"].as_object().unwrap().len(), super::ROUTES.len());
        for route in &super::ROUTES {
            for w in route.writes.iter().filter(|w| !w.body.is_empty()) {
                let body: serde_json::Value = serde_json::from_str(w.body).expect(route.path);
                assert_eq!(body["type"], "object", "{}", route.path);
            }
        }
    }
}
