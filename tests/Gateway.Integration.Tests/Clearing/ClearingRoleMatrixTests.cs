using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Handler.Clearing;
using Gateway.Handler.Home;
using Gateway.Handler.Hosting;
using Gateway.Storage;
using Gateway.TestSupport;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace Gateway.Integration.Tests.Clearing;

/// <summary>A gateway of its own (Local identity, the demo users): the matrix closes the current period.</summary>
public sealed class RoleMatrixGatewayHost : IAsyncLifetime
{
    public GatewayFixture Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayFixture.StartAsync(new Dictionary<string, string>
    {
        ["ClosePeriodSchedule"] = "0 0 0 1 1 *",
    });

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>
/// Every clearing route and the member import × every demo user, anonymous and a wrong credential → the status class
/// docs/api.md promises (2xx, 401 or 403). The table is the contract: a route mapped without a row fails
/// <see cref="The_matrix_covers_exactly_the_mapped_routes"/>.
/// </summary>
public sealed class ClearingRoleMatrixTests(RoleMatrixGatewayHost host) : IClassFixture<RoleMatrixGatewayHost>
{
    private GatewayFixture G => host.Gateway;

    /// <summary>The columns of <see cref="Matrix"/>: the demo users (password {user}-demo), then no credential, then a wrong one.</summary>
    public static readonly string[] Columns = ["reader", "closer", "nanchong", "shenzhen", "nanchong-admin", "shenzhen-admin", "dongguan-admin", "xiamen-admin", "anonymous", "wrong"];

    private const string Period = "{P}";     // the current period, closed by the setup (statements exist)
    private const string Settlement = "{S}"; // a settlement posted in it (Nanchong member, Shenzhen hospital)

    /// <summary>
    /// One row per request: method, route pattern (as mapped), concrete path, body, then the expected class per column
    /// (2 = 2xx, 1 = 401 unauthenticated, 3 = 403 forbidden).
    /// </summary>
    public static readonly (string Method, string Route, string Path, string? Body, string Expected)[] Matrix =
    [
        //                                                                                                                               rd cl nc sz nA sA dA xA an wr
        ("GET", "/api/v1/clearing/me", "/api/v1/clearing/me", null,                                                                   "2  2  2  2  2  2  2  2  1  1"),
        ("GET", "/api/v1/clearing/periods", "/api/v1/clearing/periods", null,                                                         "2  2  2  2  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/periods/{period}/positions", $"/api/v1/clearing/periods/{Period}/positions", null,                  "2  2  2  2  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/periods/{period}/statements", $"/api/v1/clearing/periods/{Period}/statements", null,                "2  2  2  2  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/periods/{period}/statements/{home}/{treatment}", $"/api/v1/clearing/periods/{Period}/statements/511300/440300", null, "2  2  2  2  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/periods/{period}/statements/{home}/{treatment}/csv", $"/api/v1/clearing/periods/{Period}/statements/511300/440300/csv", null, "2  2  2  2  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/periods/{period}/entries", $"/api/v1/clearing/periods/{Period}/entries?home=511300&treatment=440300", null, "2  2  2  2  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/periods/{period}/entries", $"/api/v1/clearing/periods/{Period}/entries?hospital=H440300001", null,  "2  2  2  2  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/periods/{period}/entries/csv", $"/api/v1/clearing/periods/{Period}/entries/csv?home=511300&treatment=440300", null, "2  2  2  2  3  3  3  3  1  1"),
        ("POST", "/api/v1/clearing/periods/{period}/close", "/api/v1/clearing/periods/2025-01/close", null,                           "3  2  3  3  3  3  3  3  1  1"),
        // Confirm/dispute: a region user of the pair, for its own side (side omitted = its own region).
        ("POST", "/api/v1/clearing/periods/{period}/statements/{home}/{treatment}/{action}", $"/api/v1/clearing/periods/{Period}/statements/511300/440300/confirm", "{}", "3  3  2  2  3  3  3  3  1  1"),
        ("POST", "/api/v1/clearing/periods/{period}/statements/{home}/{treatment}/{action}", $"/api/v1/clearing/periods/{Period}/statements/511300/440300/confirm", "{\"side\":\"440300\"}", "3  3  3  2  3  3  3  3  1  1"),
        ("POST", "/api/v1/clearing/periods/{period}/statements/{home}/{treatment}/{action}", $"/api/v1/clearing/periods/{Period}/statements/511300/440300/dispute", $"{{\"reason\":\"matrix\",\"settlementIds\":[\"{Settlement}\"]}}", "3  3  2  2  3  3  3  3  1  1"),
        ("POST", "/api/v1/clearing/periods/{period}/statements/{home}/{treatment}/{action}", $"/api/v1/clearing/periods/{Period}/statements/350200/441900/confirm", "{}", "3  3  3  3  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/reviews/{home}", "/api/v1/clearing/reviews/511300", null,                                            "3  3  2  3  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/reviews/{home}", "/api/v1/clearing/reviews/440300", null,                                            "3  3  3  2  3  3  3  3  1  1"),
        ("POST", "/api/v1/clearing/reviews/{home}/{settlementId}/{action}", $"/api/v1/clearing/reviews/350200/{Settlement}/accept", "{\"reason\":\"matrix\"}", "3  3  3  3  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/reconciliations", "/api/v1/clearing/reconciliations", null,                                         "2  2  2  2  3  3  3  3  1  1"),
        ("GET", "/api/v1/clearing/settlements/{settlementId}", $"/api/v1/clearing/settlements/{Settlement}", null,                    "2  2  2  2  3  3  3  3  1  1"),
        // The member import: the region's own administrator only.
        ("POST", "/api/v1/regions/{region}/members", "/api/v1/regions/511300/members", "csv",                                        "3  3  3  3  2  3  3  3  1  1"),
        ("POST", "/api/v1/regions/{region}/members", "/api/v1/regions/440300/members", "csv",                                        "3  3  3  3  3  2  3  3  1  1"),
    ];

    /// <summary>
    /// The routes the handler maps under /api/v1/clearing, and the member import, each with the policy it asks for: the
    /// matrix must have a row for each, and none for a route that does not exist.
    /// </summary>
    [Fact]
    public void The_matrix_covers_exactly_the_mapped_routes()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Registered only so the route builder knows these parameters are services; never resolved here.
        builder.Services.AddSingleton<LedgerStore>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<SettlementStore>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<ReconciliationStore>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<Reviews>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<ImportMembersFunction>(_ => throw new InvalidOperationException());
        builder.Services.AddSingleton<TimeProvider>(TimeProvider.System);
        var app = builder.Build();
        ClearingApi.Map(app);
        app.MapRegions();
        var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().ToList();
        var mapped = endpoints
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet(StringComparer.Ordinal);
        var inMatrix = Matrix.Select(r => $"{r.Method} {r.Route}").ToHashSet(StringComparer.Ordinal);
        Assert.True(mapped.SetEquals(inMatrix),
            $"routes without a matrix row: {string.Join(", ", mapped.Except(inMatrix))}; matrix rows for no route: {string.Join(", ", inMatrix.Except(mapped))}");
        var policies = new[] { ClearingPolicies.SignedIn, ClearingPolicies.Read, ClearingPolicies.Close, ClearingPolicies.Respond, ClearingPolicies.Review, ClearingPolicies.ImportMembers };
        foreach (var e in endpoints)
        {
            var asked = e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            Assert.True(asked.Count == 1 && policies.Contains(asked[0]), $"{e.RoutePattern.RawText} asks for policies [{string.Join(", ", asked)}]");
            Assert.Null(e.Metadata.GetMetadata<IAllowAnonymous>());
        }
    }

    private static string ImportCsv(string region) =>
        Gateway.Storage.MemberImport.CsvHeader + "\n" + $"MATRIX{region},{region},resident,false,1981-03-02,7,none,false,0.00,active,,\n";

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<string> SetUpAsync()
    {
        var id = Requests.NewId("matrix");
        using (var r = await G.Hospital("H440300001").SubmitAsync(Requests.SpecA(id), 15)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var period = ClearingPeriod.Of(DateTimeOffset.UtcNow).ToString(); // China months
        using var close = new HttpRequestMessage(HttpMethod.Post, $"api/v1/clearing/periods/{period}/close");
        close.Headers.Authorization = Basic("closer", "closer-demo");
        using (var r = await G.Http.SendAsync(close)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return $"H440300001~{id}";
    }

    [Fact]
    public async Task Every_route_answers_every_user_as_the_role_table_says()
    {
        var settlement = await SetUpAsync();
        var period = ClearingPeriod.Of(DateTimeOffset.UtcNow).ToString(); // China months
        var failures = new List<string>();
        var row = 0;
        foreach (var (method, _, pathTemplate, bodyTemplate, expected) in Matrix)
        {
            row++;
            var classes = expected.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Columns.Length, classes.Length);
            for (var c = 0; c < Columns.Length; c++)
            {
                var user = Columns[c];
                var path = pathTemplate.Replace(Period, period, StringComparison.Ordinal).Replace(Settlement, settlement, StringComparison.Ordinal);
                using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'));
                if (bodyTemplate == "csv")
                    request.Content = new StringContent(ImportCsv(path.Split('/')[4]), Encoding.UTF8, "text/csv");
                else if (bodyTemplate is not null)
                    request.Content = new StringContent(bodyTemplate.Replace(Settlement, settlement, StringComparison.Ordinal), Encoding.UTF8, "application/json");
                if (user == "wrong")
                {
                    // A wrong password of an unknown name, each from its own address: the sign-in limits stay untouched.
                    request.Headers.Authorization = Basic("intruder", "guess");
                    request.Headers.TryAddWithoutValidation("X-Forwarded-For", $"192.0.2.{row}");
                }
                else if (user != "anonymous") request.Headers.Authorization = Basic(user, user + "-demo");
                using var response = await G.Http.SendAsync(request);
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                var ok = classes[c] switch
                {
                    "2" => status is >= 200 and < 300,
                    "1" => status == 401 && IsProblem(response, text, "unauthenticated"),
                    "3" => status == 403 && IsProblem(response, text, "forbidden"),
                    _ => throw new InvalidOperationException(classes[c]),
                };
                if (!ok) failures.Add($"{method} {path} as {user}: expected {classes[c]}xx, got {status} {text[..Math.Min(160, text.Length)]}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} cell(s) of the role matrix differ:\n" + string.Join("\n", failures));
    }

    private static bool IsProblem(HttpResponseMessage r, string text, string type) =>
        r.Content.Headers.ContentType?.MediaType == "application/problem+json"
        && (string?)JObject.Parse(text)["type"] == "https://gateway.example.org/problems/" + type;

    [Fact]
    public async Task A_region_administrator_sees_who_they_are_and_nothing_of_the_ledger()
    {
        using var me = new HttpRequestMessage(HttpMethod.Get, "api/v1/clearing/me");
        me.Headers.Authorization = Basic("nanchong-admin", "nanchong-admin-demo");
        using var r = await G.Http.SendAsync(me);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = JObject.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal(("nanchong-admin", "admin", "511300"), ((string)body["name"]!, (string)body["role"]!, (string)body["region"]!));
        Assert.False((bool)body["canRead"]!);
    }

    [Fact]
    public async Task A_forged_app_service_principal_is_ignored_under_local_identity()
    {
        // What App Service Authentication would send for a closer: locally nobody strips it, so the handler must not trust it.
        var principal = Convert.ToBase64String(Encoding.UTF8.GetBytes(
            """{"auth_typ":"aad","name_typ":"name","role_typ":"roles","claims":[{"typ":"name","val":"mallory"},{"typ":"roles","val":"clearing_close"},{"typ":"roles","val":"clearing_read"}]}"""));
        using (var anonymous = new HttpRequestMessage(HttpMethod.Get, "api/v1/clearing/periods"))
        {
            anonymous.Headers.TryAddWithoutValidation("X-MS-CLIENT-PRINCIPAL", principal);
            anonymous.Headers.TryAddWithoutValidation("X-MS-CLIENT-PRINCIPAL-NAME", "mallory");
            using var r = await G.Http.SendAsync(anonymous);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using (var admin = new HttpRequestMessage(HttpMethod.Get, "api/v1/clearing/periods"))
        {
            admin.Headers.Authorization = Basic("nanchong-admin", "nanchong-admin-demo");
            admin.Headers.TryAddWithoutValidation("X-MS-CLIENT-PRINCIPAL", principal);
            using var r = await G.Http.SendAsync(admin);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }
    }
}
