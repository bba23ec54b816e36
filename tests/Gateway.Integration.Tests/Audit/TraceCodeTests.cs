using System.Net;
using Gateway.TestSupport;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Audit;

/// <summary>Traceability codes (追溯码, spec §10.1) through the hospital API, on Azurite and the local host.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TraceCodeTests(GatewayHost host)
{
    private GatewayFixture G => host.Gateway;
    private HospitalClient Shenzhen => G.Hospital("H440300001");
    private HospitalClient Xiamen => G.Hospital("H350200001");

    /// <summary>Fresh codes for one test (20 digits, unlikely to meet another test's).</summary>
    private static List<string> Codes(int n)
    {
        var stem = string.Concat(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).Select(b => (b % 10).ToString(System.Globalization.CultureInfo.InvariantCulture)))[..17];
        return [.. Enumerable.Range(0, n).Select(i => stem + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>Example A with the stent line (line 4, two units) carrying <paramref name="codes"/>.</summary>
    private static string WithCodes(string id, IReadOnlyList<string> codes, string member = "M511300001", bool trial = false) => Requests.With(Requests.SpecA(id), o =>
    {
        o["member"]!["memberId"] = member;
        o["encounter"]!["lines"]![3]!["traceCodes"] = new JArray(codes);
        if (trial) o["trial"] = true;
    });

    [Fact]
    public async Task A_code_reused_by_a_hospital_of_another_region_is_rejected_naming_the_holders_treatment_region_only()
    {
        var codes = Codes(2);
        using var first = await Shenzhen.SubmitAsync(WithCodes(Requests.NewId("tc"), codes), 15);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var id = Requests.NewId("tc");
        using var second = await Xiamen.SubmitAsync(WithCodes(id, [codes[1], Codes(1)[0]], "M511300002"), 15);
        var (status, type, body) = await Requests.ProblemAsync(second);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("trace-code-reused", type);
        Assert.Equal("440300", (string?)body["holderTreatmentRegion"]);
        Assert.Equal(codes[1], (string?)body["traceCode"]);
        Assert.Contains("/encounter/lines/3/traceCodes/0", body.ToString());
        Assert.Contains("440300", (string)body["detail"]!);
        Assert.DoesNotContain("H440300001", body.ToString());
        Assert.DoesNotContain("M511300001", body.ToString());
        // Nothing was recorded for the rejected one.
        using var get = await Xiamen.GetAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Two_settlements_racing_for_one_code_end_with_exactly_one_completed()
    {
        var codes = Codes(2);
        var a = Shenzhen.SubmitAsync(WithCodes(Requests.NewId("ra"), codes), 15);
        var b = Xiamen.SubmitAsync(WithCodes(Requests.NewId("rb"), codes, "M511300002"), 15);
        var answers = await Task.WhenAll(a, b);
        var statuses = answers.Select(r => r.StatusCode).Order().ToList();
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity], statuses);
        var loser = answers.Single(r => r.StatusCode == HttpStatusCode.UnprocessableEntity);
        Assert.Equal("trace-code-reused", (await Requests.ProblemAsync(loser)).Type);
        foreach (var r in answers) r.Dispose();
    }

    [Fact]
    public async Task A_cancelled_settlement_releases_its_codes_and_a_new_settlement_may_carry_them()
    {
        var codes = Codes(2);
        var id = Requests.NewId("cx");
        using (var first = await Shenzhen.SubmitAsync(WithCodes(id, codes), 15)) Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using (var held = await Xiamen.SubmitAsync(WithCodes(Requests.NewId("cx"), codes, "M511300002"), 15))
            Assert.Equal("trace-code-reused", (await Requests.ProblemAsync(held)).Type);
        using (var cancel = await Shenzhen.SendAsync(HttpMethod.Post, $"/api/v1/settlements/{id}/cancel", "{\"reason\":\"entered by mistake\"}", waitSeconds: 15))
            Assert.Equal("cancelled", (string?)(await Requests.Json(cancel))["status"]);
        using var again = await Xiamen.SubmitAsync(WithCodes(Requests.NewId("cx"), codes, "M511300002"), 15);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("completed", (string?)(await Requests.Json(again))["status"]);
    }

    [Fact]
    public async Task The_same_code_twice_in_one_bill_is_duplicated_and_a_trial_checks_but_holds_nothing()
    {
        var code = Codes(1)[0];
        using (var dup = await Shenzhen.SubmitAsync(WithCodes(Requests.NewId("dup"), [code, code]), 15))
        {
            var (status, type, _) = await Requests.ProblemAsync(dup);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Equal("trace-code-duplicated", type);
        }
        var codes = Codes(2);
        using (var trial = await Shenzhen.SubmitAsync(WithCodes(Requests.NewId("tr"), codes, trial: true), 15)) Assert.Equal(HttpStatusCode.OK, trial.StatusCode);
        using (var real = await Xiamen.SubmitAsync(WithCodes(Requests.NewId("tr"), codes, "M511300002"), 15)) Assert.Equal(HttpStatusCode.Created, real.StatusCode);
        using var trialHeld = await Shenzhen.SubmitAsync(WithCodes(Requests.NewId("tr"), codes, trial: true), 15);
        Assert.Equal("trace-code-reused", (await Requests.ProblemAsync(trialHeld)).Type);
    }

    [Fact]
    public async Task Codes_must_be_twenty_digits_one_per_unit()
    {
        using var r = await Shenzhen.SubmitAsync(WithCodes(Requests.NewId("fmt"), ["123", Codes(1)[0], Codes(1)[0]]), 5);
        var (status, type, body) = await Requests.ProblemAsync(r);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("validation-error", type);
        Assert.Contains("/encounter/lines/3/traceCodes", body.ToString());
    }
}
