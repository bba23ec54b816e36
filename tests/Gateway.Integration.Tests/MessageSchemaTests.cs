using Gateway.Contracts;
using Gateway.Domain;
using Gateway.Handler.Replies;
using Gateway.Storage;
using Gateway.TestSupport;
using NJsonSchema;

namespace Gateway.Integration.Tests;

/// <summary>The public message contract (schemas/*.json) holds for the messages the gateway really sends.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MessageSchemaTests(GatewayHost host)
{
    private static Task<JsonSchema> Schema(string name) => JsonSchema.FromFileAsync(Path.Combine(RepoPaths.Root, "schemas", name));

    private static async Task AssertValid(string schemaFile, string json)
    {
        var errors = (await Schema(schemaFile)).Validate(json);
        Assert.True(errors.Count == 0, $"{schemaFile}: " + string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}")) + "\n" + json);
    }

    [Fact]
    public async Task Real_requests_and_replies_match_their_schemas()
    {
        var g = host.Gateway;
        var storage = new GatewayStorage(g.Azurite.ConnectionString);
        var members = new MemberStore(storage);
        foreach (var (memberId, expected) in new[] { ("M441900001", "completed"), ("M511300004", "rejected") })
        {
            var home = memberId.Substring(1, 6);
            var id = Requests.NewId("schema");
            using var r = await g.Hospital("H350200001").SubmitAsync(Requests.With(Requests.SpecA(id), o => { o["member"]!["homeRegion"] = home; o["member"]!["memberId"] = memberId; }), 15);
            var record = await new SettlementStore(storage).GetAsync("H350200001", id, CancellationToken.None);
            Assert.Equal(expected, record!.Status.Name());
            await AssertValid("evaluation-request.v1.json", record.RequestMessage);
            var state = await members.LoadAsync(RegionCode.Parse(home), memberId, 2026, record.SettlementId, null, CancellationToken.None);
            await AssertValid("evaluation-reply.v1.json", state!.Applied!.ReplyJson);
            if (expected == "completed")
            {
                var cancel = GatewayJson.Deserialize<EvaluationRequestMessage>(record.RequestMessage) with { Kind = "cancel", CancelReason = "test" };
                await AssertValid("evaluation-request.v1.json", GatewayJson.Serialize(cancel));
                await AssertValid("hospital-callback.v1.json", GatewayJson.Serialize(new CallbackMessage
                {
                    SettlementId = record.SettlementId, HospitalCode = record.HospitalCode, Url = "https://his.example.cn/cb", Body = "{}",
                }));
            }
        }
    }

    [Fact]
    public async Task The_schemas_reject_what_the_contract_forbids()
    {
        var request = await Schema("evaluation-request.v1.json");
        Assert.NotEmpty(request.Validate("{\"schemaVersion\": 2, \"kind\": \"evaluate\"}"));
        var reply = await Schema("evaluation-reply.v1.json");
        Assert.NotEmpty(reply.Validate("{\"schemaVersion\":1,\"outcome\":\"completed\",\"correlationId\":\"c\",\"settlementId\":\"H1~S1\",\"hospitalCode\":\"H1\",\"homeRegion\":\"511300\",\"treatmentRegion\":\"440300\",\"evaluatedAt\":\"2026-05-01T00:00:00Z\"}"));
    }
}
