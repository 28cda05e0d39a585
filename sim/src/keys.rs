//! API keys (`GetApiKeys`, `CreateApiKey`, `GenerateApiKey`, `DeleteApiKey`): the exchange
//! holds keys for real. A created key (the caller's public key) or a generated one (the
//! exchange makes the pair and hands back the private key once, never to be shown again)
//! signs requests for the caller's account from its next request on; a deleted key stops
//! at once.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
use shared::api::schema::{
    ApiKey, ApiKeyScope, ApiKeyType, CreateApiKeyRequest, CreateApiKeyResponse,
    GenerateApiKeyRequest, GenerateApiKeyResponse, GetApiKeysResponse,
};
use shared::rest::API_PREFIX;

use super::auth::{Caller, KeyInfo, PublicKey};
use super::error::{Result, SimError};
use super::Sim;

/// The routes, under `/trade-api/v2/api_keys`.
pub(crate) fn routes() -> Router<Sim> {
    let p = |path: &str| format!("{API_PREFIX}{path}");
    Router::new()
        .route(&p("/api_keys"), get(get_api_keys).post(create_api_key))
        .route(&p("/api_keys/generate"), post(generate_api_key))
        .route(&p("/api_keys/{api_key}"), delete(delete_api_key))
}

/// The wire name of a scope (`read`, `write::trade`, …); `None` for one this build does not
/// know.
fn scope_name(scope: ApiKeyScope) -> Option<String> {
    if scope == ApiKeyScope::Unknown {
        return None;
    }
    match serde_json::to_value(scope) {
        Ok(serde_json::Value::String(name)) => Some(name),
        _ => None,
    }
}

fn scope_of(name: &str) -> ApiKeyScope {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .unwrap_or(ApiKeyScope::Unknown)
}

/// The requested scopes (default `read` and `write`), refusing unknown ones.
fn scopes(requested: Option<Vec<ApiKeyScope>>) -> Result<Vec<String>> {
    let requested = requested.unwrap_or_else(|| vec![ApiKeyScope::Read, ApiKeyScope::Write]);
    if requested.is_empty() {
        return Err(SimError::BadRequest("scopes must not be empty".to_owned()));
    }
    requested
        .into_iter()
        .map(|s| {
            scope_name(s).ok_or_else(|| SimError::BadRequest("unknown API key scope".to_owned()))
        })
        .collect()
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| SimError::BadRequest(format!("invalid request body: {e}")))
}

fn listed(info: KeyInfo) -> ApiKey {
    ApiKey {
        api_key_id: info.key_id,
        name: info.name,
        scopes: info.scopes.iter().map(|s| scope_of(s)).collect(),
        subaccount: None,
        fcm_subtrader_id: None,
    }
}

/// `GET /api_keys` (GetApiKeys): the caller's keys.
async fn get_api_keys(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
) -> Json<GetApiKeysResponse> {
    let api_keys = sim.keys().list(caller.0).into_iter().map(listed).collect();
    Json(GetApiKeysResponse {
        api_keys,
        api_key_region_expiration_ts: None,
    })
}

/// `POST /api_keys` (CreateApiKey): registers the caller's RSA or Ed25519 public key (PEM).
async fn create_api_key(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<impl IntoResponse> {
    let req: CreateApiKeyRequest = body(&bytes)?;
    if req.name.trim().is_empty() {
        return Err(SimError::BadRequest("name is required".to_owned()));
    }
    let key = PublicKey::from_pem(&req.public_key)
        .map_err(|e| SimError::BadRequest(format!("public_key: {e}")))?;
    let scopes = scopes(req.scopes)?;
    let id = uuid::Uuid::new_v4().to_string();
    sim.keys_mut()
        .insert_named(id.clone(), key, caller.0, req.name, scopes);
    Ok((
        StatusCode::CREATED,
        Json(CreateApiKeyResponse {
            api_key_id: id,
            warning: None,
        }),
    ))
}

/// `POST /api_keys/generate` (GenerateApiKey): makes an RSA-2048 (default) or Ed25519 pair
/// and returns the private key (PKCS#8 PEM) once.
async fn generate_api_key(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<impl IntoResponse> {
    let req: GenerateApiKeyRequest = body(&bytes)?;
    if req.name.trim().is_empty() {
        return Err(SimError::BadRequest("name is required".to_owned()));
    }
    let scopes = scopes(req.scopes)?;
    let key_type = match req.key_type {
        None | Some(ApiKeyType::Rsa) => ApiKeyType::Rsa,
        Some(ApiKeyType::Ed25519) => ApiKeyType::Ed25519,
        Some(ApiKeyType::Unknown) => {
            return Err(SimError::BadRequest(
                "key_type is rsa or ed25519".to_owned(),
            ))
        }
    };
    // RSA key generation takes a moment: off the socket threads.
    let pair = tokio::task::spawn_blocking(move || generate(key_type))
        .await
        .map_err(|_| SimError::BadRequest("key generation failed".to_owned()))??;
    let (public, private_key) = pair;
    let id = uuid::Uuid::new_v4().to_string();
    sim.keys_mut()
        .insert_named(id.clone(), public, caller.0, req.name, scopes);
    Ok((
        StatusCode::CREATED,
        Json(GenerateApiKeyResponse {
            api_key_id: id,
            key_type: Some(key_type),
            private_key,
            warning: Some("Store the private key now: it is not shown again.".to_owned()),
        }),
    ))
}

/// A fresh pair: the public key and the private key as PKCS#8 PEM.
fn generate(key_type: ApiKeyType) -> Result<(PublicKey, String)> {
    let failed = || SimError::BadRequest("key generation failed".to_owned());
    match key_type {
        ApiKeyType::Ed25519 => {
            let seed: [u8; 32] = rand::random();
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|_| failed())?;
            Ok((PublicKey::Ed25519(key.verifying_key()), pem.to_string()))
        }
        _ => {
            let key =
                rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|_| failed())?;
            let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|_| failed())?;
            Ok((PublicKey::Rsa(key.to_public_key()), pem.to_string()))
        }
    }
}

/// `DELETE /api_keys/{api_key}` (DeleteApiKey): one of the caller's keys; `204`.
async fn delete_api_key(
    State(sim): State<Sim>,
    Extension(caller): Extension<Caller>,
    Path(api_key): Path<String>,
) -> Result<StatusCode> {
    if sim.keys_mut().remove(caller.0, &api_key) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(SimError::NotFound(format!("API key {api_key} not found")))
    }
}
