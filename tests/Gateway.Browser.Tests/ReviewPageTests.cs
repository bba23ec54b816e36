using System.Net;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.TestSupport;
using Microsoft.Playwright;
using Newtonsoft.Json.Linq;

namespace Gateway.Browser.Tests;

/// <summary>The review page (事后审核, spec §10.3) in headless Debian chromium: the home region's reviewer refuses a flagged settlement.</summary>
public sealed class ReviewPageTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private static readonly string Shots = Path.Combine(RepoPaths.Root, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Shots);
        _gateway = await GatewayFixture.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task The_home_regions_reviewer_refuses_a_flagged_settlement_and_the_journal_shows_the_refusal()
    {
        var member = "B" + Guid.NewGuid().ToString("N")[..12];
        await new MemberStore(new GatewayStorage(_gateway.Azurite.ConnectionString)).UpsertProfileAsync(new MemberProfile(member, RegionCode.Parse("511300"), InsuranceType.Employee, false,
            new DateOnly(1980, 1, 1), 5, AssistanceCategory.None, false, [], [], 0m, MemberStatus.Active), CancellationToken.None);
        var id = $"rv-{Guid.NewGuid():N}"[..20];
        var body = JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", "settlement-A.json")).Replace("__ID__", id, StringComparison.Ordinal));
        body["member"]!["memberId"] = member;
        body["encounter"]!["admissionDate"] = "2026-07-01";
        body["encounter"]!["dischargeDate"] = "2026-09-05"; // 66 days: N-STAY-60 flags it
        using (var r = await _gateway.Hospital("H440300001").SubmitAsync(body.ToString(), 15)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var key = $"H440300001~{id}";

        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        await page.GotoAsync(new Uri(_gateway.BaseUrl, "api/clearing/").ToString());
        await page.WaitForSelectorAsync("#signin");
        await page.FillAsync("input[name=user]", "nanchong");
        await page.FillAsync("input[name=password]", "nanchong-demo");
        await page.ClickAsync("#signin button[type=submit]");
        await page.WaitForSelectorAsync("#matrix");

        await page.ClickAsync("#nav-reviews");
        var row = page.Locator($"#reviews tr[data-id='{key}']");
        await row.WaitForAsync();
        Assert.Contains("N-STAY-60", await row.InnerTextAsync());
        Assert.Contains("flagged", await row.InnerTextAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots, "10-reviews.png"), FullPage = true });

        // Refuse without a reason: the form says so; with one, and 150.00 of the fund share: refused, the decision shown.
        await row.Locator("input[name=amount]").FillAsync("150.00");
        await row.Locator("input[name=reason]").FillAsync("days 61 to 66 not medically necessary");
        await row.Locator("button[value=refuse]").ClickAsync();
        var decided = page.Locator($"#reviews tr[data-id='{key}']:has-text('refused')");
        await decided.WaitForAsync();
        Assert.Contains("150.00", await decided.InnerTextAsync());
        Assert.Contains("nanchong", await decided.InnerTextAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots, "11-review-refused.png"), FullPage = true });

        // The settlement's journal: the posting and the refusal's adjustment.
        await decided.Locator("a").ClickAsync();
        await page.WaitForSelectorAsync("#journal");
        Assert.Contains("refusal 拒付", await page.InnerTextAsync("#journal"));
        Assert.Contains("N-STAY-60", await page.InnerTextAsync("#explanation"));
    }
}
