#!/usr/bin/env python3
"""Derives the host-contract fixtures (*.invocation.json) from the Azure Functions host's rules, written out here
independently of the C# local host (src/Gateway.LocalHost/HostContract.cs), so that comparing the two tests something.

Sources (read at these commits):
  Azure/azure-functions-host 89dc438d476542786f2fc4070f553423213a6223
    src/WebJobs.Script/Workers/MessageExtensions/ScriptInvocationContextExtensions.cs  (GetHttpScriptInvocationContextValue)
    src/WebJobs.Script/Workers/Http/DefaultHttpWorkerService.cs                         (POST /{FunctionName}, headers)
    src/WebJobs.Script/Utility.cs                                                       (ApplyBindingData, IsJson)
    src/WebJobs.Script/Binding/GeneralScriptBindingProvider.cs, Description/Workers/WorkerFunctionInvoker.cs
  Azure/azure-webjobs-sdk f79ea0bff76c31048388fde784a9164b5d880c8a
    src/Microsoft.Azure.WebJobs.Host/Extensions/JobHostMetadataProvider.cs               (default type string)
    src/Microsoft.Azure.WebJobs.Host/Bindings/SystemBindingData.cs                       (sys)
  Azure/azure-sdk-for-net sdk/servicebus/Microsoft.Azure.WebJobs.Extensions.ServiceBus
    src/Triggers/ServiceBusTriggerBindingStrategy.cs (binding data), src/Config/MessageToStringConverter.cs
  Azure/azure-webjobs-sdk-extensions 2e7550f72362ee727b3e55703904212f0690c431
    src/WebJobs.Extensions/Extensions/Timers/TimerInfo.cs, ScheduleStatus.cs, Bindings/TimerTriggerBinding.cs
Run: python3 derive_fixtures.py  (rewrites the fixtures beside it; the evaluate body is evaluate-A.body.json)."""
import json, re, os
HERE = os.path.dirname(os.path.abspath(__file__))
HOST = {"repository": "Azure/azure-functions-host", "commit": "89dc438d476542786f2fc4070f553423213a6223"}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")

def serialize_object(v):
    """JsonConvert.SerializeObject of a scalar: a string becomes a JSON string literal, a number its text."""
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, int): return str(v)
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

def newtonsoft_cast_string(v):
    """(string)JToken after JObject.Parse with Newtonsoft defaults: ISO date-times became dates (culture-invariant
    'MM/dd/yyyy HH:mm:ss', host clock in UTC), booleans 'True'/'False', numbers their text."""
    if isinstance(v, bool): return "True" if v else "False"
    if isinstance(v, (int, float)): return str(v)
    if isinstance(v, str) and ISO.match(v):
        d, t = v.split("T"); y, mo, da = d.split("-"); hms = t[:8]
        return f"{mo}/{da}/{y} {hms}"
    return v

def service_bus(function, binding, m):
    """ToHttpScriptInvocationContext for a Service Bus trigger whose value is the body string."""
    props = m["applicationProperties"]
    binding_data = {
        "MessageReceiver": {}, "MessageSession": {}, "MessageActions": {}, "SessionActions": {}, "ReceiveActions": {},
        "Client": {"FullyQualifiedNamespace": m["fullyQualifiedNamespace"], "IsClosed": False, "TransportType": 0, "Identifier": m["clientIdentifier"]},
        "DeliveryCount": m["deliveryCount"],
        "LockToken": m["lockToken"],
        "ExpiresAtUtc": ("DateTime", m["expiresAtUtc"]),
        "ExpiresAt": ("DateTimeOffset", m["expiresAtUtc"]),
        "EnqueuedTimeUtc": ("DateTime", m["enqueuedTimeUtc"]),
        "EnqueuedTime": ("DateTimeOffset", m["enqueuedTimeUtc"]),
        "MessageId": m["messageId"],
        "ContentType": m["contentType"],
        "SequenceNumber": m["sequenceNumber"],
        "ApplicationProperties": props,
        "UserProperties": props,
        "sys": {"MethodName": function, "UtcNow": m["utcNow"], "RandGuid": m["randGuid"]},
    }
    if m.get("subject") is not None:
        binding_data["Subject"] = m["subject"]; binding_data["Label"] = m["subject"]
    body = m["body"]
    t = body.strip()
    if (t.startswith("{") and t.endswith("}")):
        for k, v in json.loads(body).items():
            if isinstance(v, list) or v is None: continue
            binding_data[k] = v if isinstance(v, dict) else newtonsoft_cast_string(v)
    metadata = {}
    for k, v in binding_data.items():
        if k.lower().endswith("trigger"): continue
        if isinstance(v, tuple):
            kind, iso = v  # DateTime/DateTimeOffset.Parse(value.ToString()): whole seconds
            metadata[k] = iso[:19] + ("+00:00" if kind == "DateTimeOffset" else "")
        elif isinstance(v, dict): metadata[k] = v
        else: metadata[k] = serialize_object(v)
    return {"Data": {binding: serialize_object(body)}, "Metadata": metadata}

def timer(function, binding, t):
    return {"Data": {binding: {"Schedule": {"AdjustForDST": True},
                               "ScheduleStatus": {"Last": t["last"], "Next": t["next"], "LastUpdated": t["lastUpdated"]},
                               "IsPastDue": t["isPastDue"]}},
            "Metadata": {"sys": {"MethodName": function, "UtcNow": t["utcNow"], "RandGuid": t["randGuid"]}}}

def write(name, fixture):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=2); f.write("\n")

SB_SOURCES = [
    "azure-functions-host:src/WebJobs.Script/Workers/MessageExtensions/ScriptInvocationContextExtensions.cs#GetHttpScriptInvocationContextValue",
    "azure-functions-host:src/WebJobs.Script/Utility.cs#ApplyBindingData",
    "azure-webjobs-sdk@f79ea0bff76c31048388fde784a9164b5d880c8a:src/Microsoft.Azure.WebJobs.Host/Extensions/JobHostMetadataProvider.cs#GetDefaultType",
    "azure-sdk-for-net:sdk/servicebus/Microsoft.Azure.WebJobs.Extensions.ServiceBus/src/Triggers/ServiceBusTriggerBindingStrategy.cs#GetBindingData",
]
common = {"fullyQualifiedNamespace": "sb-gateway-prod-abc123.servicebus.windows.net", "clientIdentifier": "sb-gateway-prod-abc123.servicebus.windows.net-3f1c",
          "lockToken": "0d6f0c3e-5b7a-4c55-9a55-7c1f5f3c2e11", "utcNow": "2026-12-02T05:57:51.2345678Z"}

evaluate_body = open(os.path.join(HERE, "evaluate-A.body.json"), encoding="utf-8").read().strip()
ev = json.loads(evaluate_body)
m1 = dict(common, body=evaluate_body, messageId=ev["settlementId"], deliveryCount=1, sequenceNumber=7, contentType="application/json", subject="evaluate",
          enqueuedTimeUtc="2026-12-02T05:57:51.0411111Z", expiresAtUtc="2026-12-16T05:57:51.0411111Z", randGuid="6a1d3b8e-2f44-4f0e-9a3c-1b2c3d4e5f60",
          applicationProperties={"schemaVersion": "1", "kind": "evaluate", "settlementId": ev["settlementId"], "homeRegion": "511300", "treatmentRegion": "440300"})
write("servicebus-evaluate.invocation.json", {
    "description": "EvaluateHome511300: a Service Bus message sent by the gateway's intake (Azure.Messaging.ServiceBus) with the evaluate request of spec example A as its JSON body.",
    "source": dict(HOST, files=SB_SOURCES),
    "function": "EvaluateHome511300", "binding": "msg", "trigger": "serviceBusTrigger", "message": m1,
    "request": service_bus("EvaluateHome511300", "msg", m1),
    "expect": {"status": 200, "outputs": ["reply"], "reply": {"outcome": "completed", "cashPay": "4963.00", "basicFund": "2245.80"}}})

reply_body = json.dumps({"schemaVersion": 1, "outcome": "rejected", "correlationId": "H440300001~fixture-R", "settlementId": "H440300001~fixture-R",
    "hospitalCode": "H440300001", "homeRegion": "511300", "treatmentRegion": "440300",
    "rejection": {"code": "unknown-member", "detail": "Member M511300999 is not insured in region 511300."},
    "evaluatedAt": "2026-12-02T05:57:52.1234567+00:00"}, ensure_ascii=False, indent=2)  # as the host writes an output binding: indented
m2 = dict(common, body=reply_body, messageId="c1f0e6a0d6b54a8f9d0f2e3b4a5c6d7e", deliveryCount=2, sequenceNumber=41, contentType="text/plain", subject=None,
          enqueuedTimeUtc="2026-12-02T05:57:52.3000000Z", expiresAtUtc="2026-12-16T05:57:52.3000000Z", randGuid="0b7c2a51-9d8e-4f61-8a27-3c4d5e6f7081",
          applicationProperties={})
write("servicebus-reply.invocation.json", {
    "description": "ApplyReply: a reply written by EvaluateHome's output binding (the host sends it indented, ContentType text/plain, no application properties), second delivery.",
    "source": dict(HOST, files=SB_SOURCES + ["azure-functions-host:src/WebJobs.Script/Binding/FunctionBinding.cs#BindAsyncCollectorAsync",
                                             "azure-sdk-for-net:sdk/servicebus/Microsoft.Azure.WebJobs.Extensions.ServiceBus/src/Config/StringToMessageConverter.cs"]),
    "function": "ApplyReply", "binding": "msg", "trigger": "serviceBusTrigger", "message": m2,
    "request": service_bus("ApplyReply", "msg", m2),
    "expect": {"status": 200, "settlementStatus": "rejected", "rejectionCode": "unknown-member"}})

callback_body = json.dumps({"settlementId": "H440300001~fixture-C", "hospitalCode": "H440300001", "url": "{{callbackUrl}}",
    "body": "{\"settlementId\":\"H440300001~fixture-C\",\"status\":\"rejected\"}"}, ensure_ascii=False, indent=2)
m3 = dict(common, body=callback_body, messageId="9e8d7c6b5a4f43219876fedcba012345", deliveryCount=1, sequenceNumber=12, contentType="text/plain", subject=None,
          enqueuedTimeUtc="2026-12-02T05:57:53.0000000Z", expiresAtUtc="2026-12-16T05:57:53.0000000Z", randGuid="1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
          applicationProperties={})
write("servicebus-callback.invocation.json", {
    "description": "NotifyHospital: a callback message written by ApplyReply's output binding. {{callbackUrl}} is replaced by the test's receiver before sending (everywhere it occurs).",
    "source": dict(HOST, files=SB_SOURCES),
    "function": "NotifyHospital", "binding": "msg", "trigger": "serviceBusTrigger", "message": m3,
    "request": service_bus("NotifyHospital", "msg", m3),
    "expect": {"status": 200, "callbackPosted": True}})

TIMER_SOURCES = ["azure-webjobs-sdk-extensions@2e7550f72362ee727b3e55703904212f0690c431:src/WebJobs.Extensions/Extensions/Timers/TimerInfo.cs",
                 "azure-webjobs-sdk-extensions@2e7550f72362ee727b3e55703904212f0690c431:src/WebJobs.Extensions/Extensions/Timers/Bindings/TimerTriggerBinding.cs#BindingDataContract (TimerTrigger, skipped)",
                 "azure-functions-host:src/WebJobs.Script/Binding/CoreExtensionsScriptBindingProvider.cs#DefaultType TimerInfo"]
for fn, t in [("SweepSettlements", {"last": "2026-12-02T05:57:30+00:00", "next": "2026-12-02T05:58:00+00:00", "lastUpdated": "2026-12-02T05:57:30.0012345+00:00",
                                    "isPastDue": False, "utcNow": "2026-12-02T05:58:00.0023456Z", "randGuid": "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"}),
              ("ClosePeriod", {"last": "0001-01-01T00:00:00+00:00", "next": "2027-01-01T00:05:00+00:00", "lastUpdated": "2026-12-01T00:05:00.01+00:00",
                               "isPastDue": True, "utcNow": "2026-12-02T05:58:01.5Z", "randGuid": "3f4a5b6c-7d8e-4f9a-0b1c-2d3e4f5a6b7c"})]:
    write(f"timer-{fn}.invocation.json", {
        "description": f"{fn}: a timer trigger (TimerInfo from a CRON schedule; ScheduleStatus times are local, the host runs in UTC).",
        "source": dict(HOST, files=TIMER_SOURCES + ["azure-functions-host:src/WebJobs.Script/Workers/MessageExtensions/ScriptInvocationContextExtensions.cs"]),
        "function": fn, "binding": "timer", "trigger": "timerTrigger", "timer": t,
        "request": timer(fn, "timer", t), "expect": {"status": 200}})

write("http-forwarded.request.json", {
    "description": "A forwarded HTTP trigger (enableForwardingHttpRequest): the original method, path and headers, the query rebuilt from the parsed query, the body only when Content-Length > 0, and three headers of the host's.",
    "source": dict(HOST, files=["src/WebJobs.Script/Workers/Http/DefaultHttpWorkerService.cs#ProcessHttpInAndOutInvocationRequest,AddHeaders,GetPathValue",
                                "src/WebJobs.Script/Extensions/HttpRequestExtensions.cs#ToHttpRequestMessage",
                                "src/WebJobs.Script/Workers/Http/HttpWorkerConstants.cs"]),
    "function": "Health", "trigger": "httpTrigger",
    "request": {"method": "GET", "path": "/api/v1/health", "headers": {"X-Azure-Functions-HostVersion": "4.1036.1.23224", "X-Azure-Functions-InvocationId": "4d5e6f70-8192-4a3b-bc4d-5e6f708192a3",
                "User-Agent": "Azure-Functions-Host/4.1036.1.23224", "Accept": "application/json"}},
    "expect": {"status": 200}})

write("responses.json", {
    "description": "What the host accepts back from an invocation (DefaultHttpWorkerService.ProcessDefaultInvocationRequest, HttpScriptInvocationResultExtensions): a 2xx with a JSON object of Outputs, Logs, ReturnValue (any other status fails the invocation before the body is read, so its Logs never reach the host's log; an empty or null body never completes the invocation). A serviceBus output that is a JSON string is parsed and re-written indented; a JSON array is one message per element; a non-binary output string that is valid base64 is decoded to bytes first.",
    "source": dict(HOST, files=["src/WebJobs.Script/Workers/Http/DefaultHttpWorkerService.cs", "src/WebJobs.Script/Workers/Http/HttpScriptInvocationResultExtensions.cs",
                                "src/WebJobs.Script/Binding/FunctionBinding.cs"]),
    "success": {"status": 200, "contentType": "application/json", "requiredProperties": ["Outputs", "Logs"]},
    "failure": {"status": 500, "contentType": "application/json", "bodyIsJsonObject": True}})
