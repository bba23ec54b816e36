using System.Globalization;
using System.Net;
using Gateway.TestSupport;
using Microsoft.Playwright;
using Newtonsoft.Json.Linq;

namespace Gateway.Browser.Tests;

/// <summary>
/// The clearing pages in headless Debian chromium against the gateway on loopback with real Azurite. Screenshots of
/// every page go to artifacts/screenshots (look at them).
/// </summary>
public sealed class ClearingPagesTests : IAsyncLifetime
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

    private static string Body(string file, string id, string homeRegion, string memberId)
    {
        var o = JObject.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "demo", file)).Replace("__ID__", id, StringComparison.Ordinal));
        o["member"]!["homeRegion"] = homeRegion;
        o["member"]!["memberId"] = memberId;
        return o.ToString();
    }

    private async Task<List<string>> SettleDemoEncountersAsync()
    {
        var ids = new List<string>();
        foreach (var (hospital, home, member) in new[]
        {
            ("H440300001", "511300", "M511300001"), ("H440300001", "441900", "M441900001"), ("H440300002", "511300", "M511300001"),
            ("H511300001", "440300", "M440300001"), ("H350200001", "511300", "M511300001"), ("H441900001", "350200", "M350200002"),
        })
        {
            var id = $"ui-{ids.Count}-{Guid.NewGuid():N}"[..20];
            using var r = await _gateway.Hospital(hospital).SubmitAsync(Body("settlement-A.json", id, home, member), 15);
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            ids.Add($"{hospital}~{id}");
        }
        return ids;
    }

    private async Task SignInAsync(IPage page, string user, string password)
    {
        await page.EvaluateAsync("() => { sessionStorage.clear(); location.hash = '#/signin'; }");
        await page.WaitForSelectorAsync("#signin");
        await page.FillAsync("input[name=user]", user);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("#signin button[type=submit]");
        await page.WaitForSelectorAsync("#matrix");
    }

    private static Task Shot(IPage page, string name) => page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots, name + ".png"), FullPage = true });

    [Fact]
    public async Task Clearing_staff_review_close_dispute_and_download()
    {
        var ids = await SettleDemoEncountersAsync();
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });

        // Sign in (wrong password first).
        await page.GotoAsync(new Uri(_gateway.BaseUrl, "api/clearing/").ToString());
        await Shot(page, "01-sign-in");
        await page.FillAsync("input[name=user]", "reader");
        await page.FillAsync("input[name=password]", "wrong");
        await page.ClickAsync("#signin button[type=submit]");
        await page.WaitForSelectorAsync("#signin-error:has-text('Wrong')");
        await SignInAsync(page, "reader", "reader-demo");

        // The matrix shows the settled encounters: Nanchong members in Shenzhen hospitals, with readable numbers.
        var cell = page.Locator("#matrix a[href*='/511300/440300']");
        await cell.WaitForAsync();
        var amount = decimal.Parse((await cell.InnerTextAsync()).Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        Assert.Equal(2245.80m + 3107.25m, amount); // example A at level 3 and at level 2
        Assert.Contains("Net 净额", await page.InnerTextAsync("#nets"));
        Assert.Equal("0.00", (await page.Locator("#nets tr:last-child td.num").Last.InnerTextAsync()).Trim());
        Assert.True(await page.Locator("#net-chart rect").CountAsync() >= 4);
        await Shot(page, "02-overview");

        // Read-only staff cannot close: the button is disabled and the API refuses.
        Assert.True(await page.Locator("#close-period").IsDisabledAsync());
        var period = (await page.InnerTextAsync("h1")).Split(' ')[2];
        var status = await page.EvaluateAsync<int>($"async () => (await fetch('/api/v1/clearing/periods/{period}/close', {{ method: 'POST', headers: {{ Authorization: 'Basic ' + sessionStorage.getItem('clearing-auth') }} }})).status");
        Assert.Equal(403, status);

        // Drill down: pair, then one settlement with its split, explanation and journal.
        await cell.ClickAsync();
        await page.WaitForSelectorAsync("#entries");
        await Shot(page, "03-pair");
        await page.ClickAsync("#entries a");
        await page.WaitForSelectorAsync("#explanation");
        Assert.Contains("home:511300:basic", await page.InnerTextAsync("#journal"));
        Assert.Contains("not in the treatment region's catalog", await page.InnerTextAsync("#explanation"));
        await Shot(page, "04-settlement");

        // The closing role closes the period (with confirmation).
        await SignInAsync(page, "closer", "closer-demo");
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await page.ClickAsync("#close-period");
        await page.WaitForSelectorAsync("#statements");
        Assert.Contains("closed", await page.InnerTextAsync("#period-status"));
        await Shot(page, "05-closed");

        // The closing role closes but answers for no region: on the pair page it gets no confirm/dispute form.
        await page.ClickAsync("#statements a[href*='/511300/440300']");
        await page.WaitForSelectorAsync("#respond-note");
        Assert.Equal(0, await page.Locator("#respond").CountAsync());
        var pairUrl = new Uri(_gateway.BaseUrl, $"api/clearing/#/pair/{period}/511300/440300").ToString();

        // A region user of the home side disputes the statement naming a settlement.
        await SignInAsync(page, "nanchong", "nanchong-demo");
        await page.GotoAsync(pairUrl);
        await page.WaitForSelectorAsync("#respond");
        await page.FillAsync("#respond input[name=reason]", "member not insured on the admission date");
        await page.FillAsync("#respond input[name=ids]", ids[0]);
        await page.ClickAsync("#respond button[value=dispute]");
        await page.WaitForSelectorAsync("#home-status:has-text('disputed')");
        Assert.Contains("member not insured", await page.InnerTextAsync("#home-reason"));
        Assert.Contains(ids[0], await page.InnerTextAsync("#home-ids"));
        Assert.Contains("disputed", await page.InnerTextAsync("#statement-status"));
        await Shot(page, "06-disputed");

        // An unknown settlement id is refused, named in the message; nothing changes.
        await page.FillAsync("#respond input[name=reason]", "again");
        await page.FillAsync("#respond input[name=ids]", "H440300001~no-such-settlement");
        await page.ClickAsync("#respond button[value=dispute]");
        await page.WaitForSelectorAsync("#action-error:has-text('no-such-settlement')");

        // The treatment side confirms: its own answer, the home side's dispute stays.
        await SignInAsync(page, "shenzhen", "shenzhen-demo");
        await page.GotoAsync(pairUrl);
        await page.WaitForSelectorAsync("#respond");
        await page.ClickAsync("#respond button[value=confirm]");
        await page.WaitForSelectorAsync("#treatment-status:has-text('confirmed')");
        Assert.Contains("disputed", await page.InnerTextAsync("#home-status"));
        Assert.Contains("member not insured", await page.InnerTextAsync("#home-reason"));
        await Shot(page, "06b-answers-per-side");

        // Download the statement CSV and the entries CSV: both add up to the statement.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#statement-csv"));
        var csvPath = Path.Combine(Shots, "statement.csv");
        await download.SaveAsAsync(csvPath);
        var totalLine = File.ReadAllLines(csvPath).Single(l => l.Contains(",total,", StringComparison.Ordinal));
        Assert.Equal(amount, decimal.Parse(totalLine.Split(',')[4], CultureInfo.InvariantCulture));
        var statementTotal = decimal.Parse((await page.Locator("#pair-funds tbody td.num").Nth(5).InnerTextAsync()).Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        Assert.Equal(amount, statementTotal);
        var entriesDownload = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#entries-csv"));
        var entriesPath = Path.Combine(Shots, "entries.csv");
        await entriesDownload.SaveAsAsync(entriesPath);
        var entryRows = File.ReadAllLines(entriesPath).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        Assert.Equal(2, entryRows.Count);
        Assert.Equal(statementTotal, entryRows.Sum(r => decimal.Parse(r[^1], CultureInfo.InvariantCulture)));
        Assert.Equal(new[] { ids[0], ids[2] }.Order(StringComparer.Ordinal), entryRows.Select(r => r[0]).Order(StringComparer.Ordinal));

        // Filters go to the server: one hospital, then an amount range, then a date range with nothing in it.
        Assert.Equal(2, await page.Locator("#entries tbody tr").CountAsync());
        await page.FillAsync("#filters input[name=hospital]", "H440300002");
        await page.ClickAsync("#filters button[type=submit]");
        await page.WaitForSelectorAsync("#clear-filters");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#entries tbody tr').length === 1");
        Assert.Equal("H440300002", (await page.Locator("#entries tbody tr td").Nth(1).InnerTextAsync()).Trim());
        Assert.Contains(ids[2], await page.InnerTextAsync("#entries"));
        await Shot(page, "09-pair-filtered");
        var filteredDownload = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#entries-csv"));
        var filteredPath = Path.Combine(Shots, "entries-filtered.csv");
        await filteredDownload.SaveAsAsync(filteredPath);
        Assert.Single(File.ReadAllLines(filteredPath).Skip(1), l => l.Length > 0);

        await page.ClickAsync("#clear-filters");
        await page.WaitForFunctionAsync("() => !document.getElementById('clear-filters') && document.querySelectorAll('#entries tbody tr').length === 2");
        await page.FillAsync("#filters input[name=min]", "3000");
        await page.ClickAsync("#filters button[type=submit]");
        await page.WaitForFunctionAsync("() => document.getElementById('clear-filters') && document.querySelectorAll('#entries tbody tr').length === 1");
        Assert.Contains(ids[2], await page.InnerTextAsync("#entries")); // 3,107.25 at the level-2 hospital; 2,245.80 is below
        await page.FillAsync("#filters input[name=min]", "");
        await page.FillAsync("#filters input[name=from]", Gateway.Domain.ChinaTime.DateOf(DateTimeOffset.UtcNow).AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); // entry days are China days
        await page.SelectOptionAsync("#filters select[name=status]", "posting");
        await page.ClickAsync("#filters button[type=submit]");
        await page.WaitForSelectorAsync("#entries td:has-text('None')");
        Assert.Contains("status=posting", page.Url);

        // Reconciliation results with the differences highlighted.
        using var recon = await _gateway.Hospital("H440300001").SendAsync(HttpMethod.Post, "/api/v1/reconciliations",
            JObject.FromObject(new { from = Gateway.Domain.ChinaTime.DateOf(DateTimeOffset.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to = Gateway.Domain.ChinaTime.DateOf(DateTimeOffset.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), count = 3, total = "1.00", fund = "1.00", cash = "0.00" }).ToString());
        Assert.Equal(HttpStatusCode.OK, recon.StatusCode);
        await page.GotoAsync(new Uri(_gateway.BaseUrl, "api/clearing/#/reconciliations").ToString());
        await page.WaitForSelectorAsync("#reconciliations tr.diff");
        await Shot(page, "07-reconciliation");

        // A narrow screen still shows the overview (the matrix scrolls inside its card).
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync(new Uri(_gateway.BaseUrl, $"api/clearing/#/period/{period}").ToString());
        await page.WaitForSelectorAsync("#matrix");
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.False(overflow);
        await Shot(page, "08-overview-narrow");

        // A region administrator signs in and sees who it is and nothing of the ledger: the page asks for nothing but /me.
        await page.SetViewportSizeAsync(1280, 900);
        var asked = new List<string>();
        page.Request += (_, r) => { if (r.Url.Contains("/api/v1/clearing/", StringComparison.Ordinal)) lock (asked) asked.Add(new Uri(r.Url).AbsolutePath); };
        await page.EvaluateAsync("() => { sessionStorage.clear(); location.hash = '#/signin'; }");
        await page.WaitForSelectorAsync("#signin");
        await page.FillAsync("input[name=user]", "nanchong-admin");
        await page.FillAsync("input[name=password]", "nanchong-admin-demo");
        await page.ClickAsync("#signin button[type=submit]");
        await page.WaitForSelectorAsync("#no-clearing");
        Assert.Contains("/api/v1/regions/{region}/members", await page.InnerTextAsync("#no-clearing"));
        await page.GotoAsync(new Uri(_gateway.BaseUrl, $"api/clearing/#/period/{period}").ToString());
        await page.WaitForSelectorAsync("#no-clearing");
        Assert.Equal(0, await page.Locator("#matrix").CountAsync());
        Assert.False(await page.Locator("#nav a[href='#/reconciliations']").IsVisibleAsync());
        await Shot(page, "10-region-administrator");
        lock (asked) Assert.All(asked, path => Assert.Equal("/api/v1/clearing/me", path));
    }
}
