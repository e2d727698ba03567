#!/usr/bin/env python3
"""A routerd plugin written from docs/protocol.md alone: no SDK, standard library only.

It declares propose.dynamicConfig and turns each routerd.client.ipv4.observed event into a
RemoteAddressClaim named after the address (onprem-10-88-60-9).
"""
import json
import os
import sys
from datetime import datetime, timezone

COOKIE_KEY = "ROUTERD_PLUGIN_MAGIC_COOKIE"
COOKIE_VALUE = "c2b9e4b1-routerd-plugin-protocol"

if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
    sys.stderr.write("plugin.py is a routerd plugin: it is started by routerd-eventd, not by hand.\n")
    sys.exit(1)


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def log(level, msg, **fields):
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    sys.stderr.write(json.dumps({"ts": now, "level": level, "msg": msg, **fields}) + "\n")
    sys.stderr.flush()


def error(msg_id, code, message, data=None):
    err = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    send({"jsonrpc": "2.0", "id": msg_id, "error": err})


def timestamp(value):
    """An RFC 3339 string as an aware datetime, or None (fromisoformat takes "Z" only from Python 3.11)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def request_issues(request):
    """Every field plugin-request.schema.json requires (docs/protocol.md, section 6), as JSON Pointer issues."""
    issues = []

    def need(ok, path, message):
        if not ok:
            issues.append({"path": path, "message": message})
        return ok

    if not need(isinstance(request, dict), "", "must be an object"):
        return issues
    need(request.get("apiVersion") == "plugin.routerd.net/v1alpha1", "/apiVersion", "must be plugin.routerd.net/v1alpha1")
    need(request.get("kind") == "PluginRequest", "/kind", "must be PluginRequest")
    metadata = request.get("metadata")
    if need(isinstance(metadata, dict), "/metadata", "must be an object"):
        for key in ("name", "requestId"):
            need(isinstance(metadata.get(key), str) and metadata[key] != "", "/metadata/" + key, "must be a non-empty string")
    spec = request.get("spec")
    if not need(isinstance(spec, dict), "/spec", "must be an object"):
        return issues
    trigger = spec.get("trigger")
    if need(isinstance(trigger, dict), "/spec/trigger", "must be an object"):
        need(trigger.get("type") in ("event", "interval", "manual"), "/spec/trigger/type", "must be event, interval or manual")
    need(isinstance(spec.get("events"), list), "/spec/events", "must be an array")
    for key in ("now", "deadline"):
        need(timestamp(spec.get(key)) is not None, "/spec/" + key, "must be an RFC 3339 timestamp")
    return issues


def claims(request):
    out = []
    for event in request["spec"]["events"]:
        if event["type"] != "routerd.client.ipv4.observed":
            continue
        address = event["payload"]["address"]
        out.append({
            "apiVersion": "net.routerd.net/v1alpha1",
            "kind": "RemoteAddressClaim",
            "metadata": {"name": "onprem-" + address.split("/")[0].replace(".", "-")},
            "spec": {"address": address, "domain": event["payload"]["domain"], "ownerNode": event["sourceNode"]},
        })
    return out


initialized = False
shutting_down = False
max_bytes = 8 * 1024 * 1024  # until initialize says otherwise (limits.maxMessageBytes)
for raw in sys.stdin.buffer:
    if len(raw.rstrip(b"\r\n")) > max_bytes:
        error(None, -32600, "message of %d bytes exceeds the limit of %d" % (len(raw), max_bytes))
        continue
    raw = raw.decode("utf-8").strip()
    if not raw:
        continue
    try:
        msg = json.loads(raw)
    except ValueError:
        error(None, -32700, "parse error")
        continue
    if isinstance(msg, list):
        error(None, -32600, "batches are not supported")
        continue
    method, msg_id = msg.get("method"), msg.get("id")
    if method == "initialize":
        params = msg.get("params", {})
        if params.get("protocolVersion") != 1 and 1 not in params.get("supportedProtocolVersions", []):
            error(msg_id, -32022, "unsupported protocol version", {"supported": [1], "requested": params.get("protocolVersion")})
            continue
        # R-L4: this plugin has no config fields, so every field given is one it does not declare.
        config = params.get("config") if isinstance(params.get("config"), dict) else {}
        if config:
            issues = [{"path": "/config/" + k.replace("~", "~0").replace("/", "~1"), "message": "is not a known field here"}
                      for k in config]
            error(msg_id, -32602, "invalid config: " + "; ".join(i["path"] + " " + i["message"] for i in issues),
                  {"issues": issues})
            continue
        max_bytes = params.get("limits", {}).get("maxMessageBytes", max_bytes)
        send({"jsonrpc": "2.0", "id": msg_id, "result": {
            "protocolVersion": 1,
            "plugin": {"name": "no-sdk-python", "version": "1.0.0"},
            "capabilities": ["propose.dynamicConfig"],
        }})
    elif method == "notifications/initialized":
        initialized = True
    elif method in ("ping", "shutdown"):
        shutting_down = shutting_down or method == "shutdown"
        send({"jsonrpc": "2.0", "id": msg_id, "result": {}})
    elif method == "plugin/run":
        if shutting_down:
            error(msg_id, -32033, "shutting down")
            continue
        if not initialized:
            error(msg_id, -32030, "not initialized")
            continue
        request = msg.get("params")
        issues = request_issues(request)
        if issues:
            error(msg_id, -32602, "invalid params: %s %s" % (issues[0]["path"], issues[0]["message"]), {"issues": issues})
            continue
        # R-X2: the deadline is an instant of the clock host and plugin share, not a budget from spec.now.
        if datetime.now(timezone.utc) >= timestamp(request["spec"]["deadline"]):
            error(msg_id, -32032, "deadline %s has passed" % request["spec"]["deadline"])
            continue
        now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        log("info", "run", events=len(request["spec"]["events"]))
        send({"jsonrpc": "2.0", "id": msg_id, "result": {
            "apiVersion": "plugin.routerd.net/v1alpha1",
            "kind": "PluginResult",
            "metadata": {"name": request["metadata"]["name"], "requestId": request["metadata"]["requestId"]},
            "status": {"observedAt": now, "ttl": "300s", "resources": claims(request)},
        }})
    elif method is not None and msg_id is not None:
        error(msg_id, -32601, "method not found: " + method)
# stdin closed: exit at once
