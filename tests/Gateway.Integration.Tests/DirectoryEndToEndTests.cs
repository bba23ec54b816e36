using System.Net;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Gateway.Integration.Tests;

/// <summary>
/// The home evaluator and the national directory, end to end: a member the home registry does not know is looked
/// up once, registered, and settled; a member the directory does not know, or answers nonsense about, is
/// rejected unknown-member.
/// </summary>
public sealed class DirectoryEndToEndTests
{
    [Fact]
    public async Task An_unregistered_member_is_found_in_the_directory_registered_and_settled_once_looked_up()
    {
        using var directory = WireMockServer.Start();
        var found = "DIR" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        directory.Given(Request.Create().WithPath($"/members/511300/{found}").UsingGet()).RespondWith(Response.Create().WithStatusCode(200)
            .WithBody($"{{\"memberId\":\"{found}\",\"homeRegion\":\"511300\",\"insuranceType\":\"resident\",\"birthDate\":\"1981-03-02\",\"continuousYears\":7}}"));
        directory.Given(Request.Create().WithPath("/members/511300/JUNK").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"memberId\": 12, \"oops\": true"));
        directory.Given(Request.Create().WithPath("/members/511300/NOBODY").UsingGet()).RespondWith(Response.Create().WithStatusCode(404));

        await using var gateway = await GatewayFixture.StartAsync(new Dictionary<string, string> { ["NationalDirectoryBaseUrl"] = directory.Urls[0] });
        var hospital = gateway.Hospital("H440300001");
        string Body(string member) => Requests.With(Requests.SpecA(Requests.NewId("dir")), o => o["member"]!["memberId"] = member);
        int Lookups(string member) => directory.LogEntries.Count(e => e.RequestMessage.Path == $"/members/511300/{member}");

        // The directory knows nothing of a filing: spec example A unfiled, 50%: basic 1,871.50, cash 5,337.30.
        using (var r = await hospital.SubmitAsync(Body(found), 20))
        {
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.Created, $"{(int)r.StatusCode}: {text}\n{gateway.Log[^Math.Min(3000, gateway.Log.Length)..]}");
            var json = JObject.Parse(text);
            Assert.Equal("1871.50", (string)json["split"]!["basicFund"]!);
            Assert.Equal("5337.30", (string)json["split"]!["cashPay"]!);
        }
        // One lookup, or a few when a cold first call outlived the per-try timeout and Polly tried again.
        var asked = Lookups(found);
        Assert.InRange(asked, 1, 3);
        using (var again = await hospital.SubmitAsync(Body(found), 20))
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(asked, Lookups(found)); // registered by the first settlement: not asked again

        foreach (var member in new[] { "NOBODY", "JUNK" })
        {
            using var r = await hospital.SubmitAsync(Body(member), 20);
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.UnprocessableEntity, $"{member}: {(int)r.StatusCode}: {text}");
            Assert.Equal("https://gateway.example.org/problems/unknown-member", (string?)JObject.Parse(text)["type"]);
            Assert.True(Lookups(member) >= 1, $"{member}: the directory was not asked");
        }
    }
}
