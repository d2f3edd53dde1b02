using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Tests.Connectors;
using IntegrationHub.Tests.Identity;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IntegrationHub.Tests.Web;

/// <summary>
/// The web app in a real browser (Debian's Chromium, headless) against a real hub on a loopback port: the flows the
/// seed document walks a user through. Each test saves screenshots under TestResults/screenshots.
/// </summary>
public sealed partial class WebAppBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] StorageKeyFields = ["id"];
    private static readonly string[] ScenarioMenuItems = ["Edit", "Run now", "Run history", "Duplicate", "Export", "Delete"];

    [Fact]
    public async Task NewUser_CompletesSetup_CreatesScenario_EnablesExternalTriggers_AndSeesTriggeredRunWithLog()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, HubHost.WithoutBootstrapAdmin);
        var code = hub.Services.GetRequiredService<FirstRunSetup>().Code;
        Assert.NotNull(code);
        var page = await browser.NewPageAsync(hub);

        // First-run setup from the console's one-time link.
        await page.GotoAsync($"/setup?code={Uri.EscapeDataString(code)}");
        await BrowserFixture.ScreenshotAsync(page, "01-first-run-setup");
        await page.GetByLabel("Your email").FillAsync("owner@example.test");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("Correct-Horse-9");
        await page.GetByLabel("Repeat the password").FillAsync("Correct-Horse-9");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Scenarios", Level = 1 })).ToBeVisibleAsync();

        // Sign out from the User account menu, then sign in again.
        await WebSteps.UserAccountMenuAsync(page, "Sign out");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "02-sign-in");
        await WebSteps.SignInAsync(page, "owner@example.test", "Correct-Horse-9");
        await BrowserFixture.ScreenshotAsync(page, "03-scenarios-empty");

        // New scenario with a Source Script that logs what it received.
        await page.GetByRole(AriaRole.Link, new() { Name = "New scenario" }).First.ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Orders to ERP");
        await page.GetByLabel("Description").FillAsync("Takes orders pushed by the shop and keeps them for the ERP.");
        await WebSteps.TypeScriptAsync(page, "log.info('received ' + data.length + ' order(s)');\nreturn data.map(o => ({ id: o.Body.id, total: o.Body.total }));");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create scenario" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Scenario created.")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "04-scenario-edit");

        // As the seed says: Integration > Scenarios, the down arrow, Edit, then Advanced edit in the upper right.
        await WebSteps.ScenarioMenuAsync(page, "Orders to ERP", "Edit");
        await page.GetByRole(AriaRole.Link, new() { Name = "Advanced edit" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Advanced edit" })).ToBeVisibleAsync();
        await page.GetByLabel("Enable External Triggers").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save advanced settings" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Advanced settings saved.")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "05-advanced-edit");

        var hint = await page.GetByTestId("url-hint").InnerTextAsync();
        var url = UrlHint().Match(hint);
        Assert.True(url.Success, $"The hint shows no trigger URL: {hint}");
        Assert.StartsWith(hub.BaseAddress.ToString().TrimEnd('/') + "/ExternalData/Accept/", url.Groups["url"].Value, StringComparison.Ordinal);

        // A plain HTTP request to that URL, authenticated by the signed-in user's cookie.
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, url.Groups["url"].Value)
        {
            Content = new StringContent("""{"id": 42, "total": 99.5}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Cookie", await WebSteps.CookieHeaderAsync(page));
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The run with its log in the run history.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Run history" }).ClickAsync();
        var row = page.Locator("tbody tr").Filter(new() { HasText = "Orders to ERP" });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("External POST");
        await row.GetByRole(AriaRole.Link, new() { Name = "Orders to ERP" }).ClickAsync();
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Succeeded", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Assertions.Expect(page.GetByTestId("run-log")).ToContainTextAsync("received 1 order(s)");
        await Assertions.Expect(page.GetByTestId("payload")).ToContainTextAsync("99.5");
        await BrowserFixture.ScreenshotAsync(page, "06-run-detail");
        await page.GetByRole(AriaRole.Link, new() { Name = "Run history" }).First.ClickAsync();
        await BrowserFixture.ScreenshotAsync(page, "07-run-history");
    }

    [Fact]
    public async Task PersonalToken_CopiedFromApiTokenPage_AuthenticatesPostTrigger_AndGets401OnceRevoked()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Token triggered",
            sourceScript = "return data;",
            advanced = new { enableExternalTriggers = true },
        });
        var page = await browser.NewPageAsync(hub);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await WebSteps.SignInAsync(page);

        await WebSteps.UserAccountMenuAsync(page, "API token");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "API Token", Level = 1 })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create personal token" }).ClickAsync();
        var field = page.GetByRole(AriaRole.Textbox, new() { Name = "Personal Token", Exact = true });
        await Assertions.Expect(field).ToHaveValueAsync(new Regex("^ih_"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();
        var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(await field.InputValueAsync(), copied);
        await BrowserFixture.ScreenshotAsync(page, "08-api-token");

        using var client = hub.CreateHttpClient();
        async Task<HttpStatusCode> TriggerAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenarioId}")
            {
                Content = JsonContent.Create(new { orderId = 7 }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", copied);
            return (await client.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await TriggerAsync());

        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText("is revoked")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, await TriggerAsync());
    }

    [Fact]
    public async Task AllowAnonymousTriggers_CannotBeCheckedWhileExternalTriggersAreOff_AndOnceBothAreOn_AnonymousGetRunsTheScenario()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new { name = "Open door", sourceScript = "log.info('knock knock'); return [];" });
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        await WebSteps.ScenarioMenuAsync(page, "Open door", "Edit");
        await page.GetByRole(AriaRole.Link, new() { Name = "Advanced edit" }).ClickAsync();

        var external = page.GetByLabel("Enable External Triggers");
        var anonymous = page.GetByLabel("Allow Anonymous Triggers");
        await Assertions.Expect(external).Not.ToBeCheckedAsync();
        await Assertions.Expect(anonymous).ToBeDisabledAsync();

        // Nothing runs for a caller without credentials yet: with external triggers off, the scenario is not there for them.
        using (var anonymousClient = hub.CreateHttpClient())
        {
            var refused = await anonymousClient.GetAsync($"/ExternalData/Accept/{scenarioId}");
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        await external.CheckAsync();
        await Assertions.Expect(anonymous).ToBeEnabledAsync();
        await anonymous.CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save advanced settings" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Advanced settings saved.")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Enable External Triggers")).ToBeCheckedAsync();
        await Assertions.Expect(page.GetByLabel("Allow Anonymous Triggers")).ToBeCheckedAsync();

        using var client = hub.CreateHttpClient();
        var response = await client.GetAsync($"/ExternalData/Accept/{scenarioId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await page.GotoAsync($"/runs?scenario={scenarioId}");
        var row = page.Locator("tbody tr").First;
        await Assertions.Expect(row).ToContainTextAsync("External GET");
        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Succeeded", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Assertions.Expect(page.GetByTestId("run-log")).ToContainTextAsync("knock knock");
    }

    [Fact]
    public async Task ScriptWithSyntaxError_ShowsErrorAtItsLine_AndIsNotSaved_KeepingWhatWasTyped()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);

        await page.GetByRole(AriaRole.Link, new() { Name = "New scenario" }).First.ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Broken script");
        await page.GetByLabel("Cron expression").FillAsync("*/15 * * * *");
        await WebSteps.TypeScriptAsync(page, "const a = 1;\nconst b = 2;\nreturn data.map(x => x +);\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create scenario" }).ClickAsync();

        var error = page.Locator("[id='sourceScript-error']");
        await Assertions.Expect(error).ToContainTextAsync("Line 3");
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Broken script");
        await Assertions.Expect(page.Locator(".cm-content")).ToContainTextAsync("x +");
        await Assertions.Expect(page.GetByLabel("Cron expression")).ToHaveValueAsync("*/15 * * * *");
        await BrowserFixture.ScreenshotAsync(page, "09-script-syntax-error");

        using var client = hub.CreateAdminClient();
        var list = await client.GetStringAsync("/api/v1/scenarios");
        Assert.DoesNotContain("Broken script", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AViewer_OpensAScenarioFromTheList_AndReadsItsScript_InAnEditorThatDoesNotChange()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        await WebSteps.CreateScenarioAsync(hub, new { name = "Nightly export", sourceScript = "return data.filter(o => o.Body.paid);" });
        string viewerEmail;
        using (var api = hub.CreateAdminClient())
        {
            viewerEmail = (await api.CreateUserAsync(UserRole.Viewer)).Email;
        }
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page, viewerEmail, IdentityTestClient.Password);

        await page.GetByRole(AriaRole.Link, new() { Name = "Nightly export" }).ClickAsync();
        var editor = page.Locator(".cm-content");
        await Assertions.Expect(editor).ToContainTextAsync("o.Body.paid");
        await editor.ClickAsync();
        await page.Keyboard.TypeAsync("tampered ");

        await Assertions.Expect(page.GetByTestId("read-only")).ToContainTextAsync("takes the Editor role");
        await Assertions.Expect(editor).Not.ToContainTextAsync("tampered");
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save changes" })).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "09b-scenario-read-only");
    }

    [Fact]
    public async Task FailedRun_CanBeRetriedFromItsPage()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        await WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Always fails",
            sourceScript = "log.warn('about to fail');\nthrow new Error('the ERP said no');",
            advanced = new { maxAttempts = 1 },
        });
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);

        await WebSteps.ScenarioMenuAsync(page, "Always fails", "Run now");
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Failed", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("the ERP said no");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("line 2");
        await BrowserFixture.ScreenshotAsync(page, "10-failed-run");
        var failedUrl = page.Url;

        await page.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Assertions.Expect(page).Not.ToHaveURLAsync(failedUrl);
        await Assertions.Expect(page.GetByText("Resubmits")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".facts")).ToContainTextAsync("Retry");
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Failed", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
    }

    [Fact]
    public async Task RunningRun_ItsPageShowsTheLogAsItGrows_ThenTheOutcome_WithoutAReload()
    {
        // The ERP answers only when the test lets it: until then the run is Running, with its script's line logged.
        await using var erp = await HeldHttpTarget.StartAsync();
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        await WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Slow ERP",
            sourceScript = "log.info('sending the order to the ERP'); return [{ id: 1 }];",
            target = new { type = "http", url = erp.Url },
        });
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);

        await WebSteps.ScenarioMenuAsync(page, "Slow ERP", "Run now");
        await Assertions.Expect(page.GetByTestId("run-log")).ToContainTextAsync("sending the order to the ERP", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Running");
        await BrowserFixture.ScreenshotAsync(page, "20-run-live-log");
        var runUrl = page.Url;

        erp.Release();
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Succeeded", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Assertions.Expect(page.GetByTestId("run-log")).ToContainTextAsync("Wrote 1 record to the http target.");
        Assert.Equal(runUrl, page.Url);
    }

    [Fact]
    public async Task RunningRun_KeepsKeyboardFocusWhereTheUserLeftIt_WhileItsPageRefreshes_AndAnnouncesOnlyTheStatusLine()
    {
        await using var erp = await HeldHttpTarget.StartAsync();
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        await WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Focus keeper",
            sourceScript = "return [{ id: 1 }];",
            target = new { type = "http", url = erp.Url },
        });
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        await WebSteps.ScenarioMenuAsync(page, "Focus keeper", "Run now");
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Running", new() { Timeout = (float)RunTimeout.TotalMilliseconds });

        // The user tabs to Cancel run; the page refreshes itself (twice, counted, not timed) and the focus stays there.
        var cancel = page.GetByRole(AriaRole.Button, new() { Name = "Cancel run" });
        await cancel.FocusAsync();
        await page.EvaluateAsync("() => { window.hubTestRefreshes = 0; Blazor.addEventListener('enhancedload', () => window.hubTestRefreshes++); }");
        await page.WaitForFunctionAsync("() => window.hubTestRefreshes >= 2");
        await Assertions.Expect(cancel).ToBeFocusedAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).Not.ToBeFocusedAsync();

        // Only the status line is a live region: a screen reader does not read the whole page out every two seconds.
        var live = page.Locator("[aria-live]");
        await Assertions.Expect(live).ToHaveCountAsync(1);
        await Assertions.Expect(live).ToHaveTextAsync("This run is running; the page updates by itself.");

        erp.Release();
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Succeeded", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await Assertions.Expect(live).ToHaveTextAsync("This run succeeded.");
    }

    [Fact]
    public async Task RunPage_ShowsLogTimesInTheBrowsersZone_AsItsOtherTimes()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new { name = "Timekeeper", sourceScript = "log.info('tick'); return [];" });
        Guid runId;
        using (var client = hub.CreateAdminClient())
        {
            var accepted = await client.PostAsync($"/api/v1/scenarios/{scenarioId}/runs", null);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            runId = (await accepted.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
        }
        // Kolkata is five and a half hours from UTC: a UTC time of day cannot pass for it.
        var page = await browser.NewPageAsync(hub, timeZone: "Asia/Kolkata");
        await WebSteps.SignInAsync(page);
        await page.GotoAsync($"/runs/{runId}");
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Succeeded", new() { Timeout = (float)RunTimeout.TotalMilliseconds });

        var tick = page.GetByTestId("run-log").Locator("li", new() { HasText = "tick" }).Locator("time");
        var at = DateTimeOffset.Parse(await tick.GetAttributeAsync("datetime") ?? "", System.Globalization.CultureInfo.InvariantCulture);
        var kolkata = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"));
        await Assertions.Expect(tick).ToHaveTextAsync(kolkata.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ScenarioMenu_WorksWithTheKeyboardAlone()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        await WebSteps.CreateScenarioAsync(hub, new { name = "Keyboard only", sourceScript = "return [];" });
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // The menu button, then Down opens the menu on its first item; Down twice more reaches Run history.
        await page.GetByLabel("Actions for Keyboard only").FocusAsync();
        await page.Keyboard.PressAsync("ArrowDown");
        await Assertions.Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "Edit" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("ArrowDown");
        await page.Keyboard.PressAsync("ArrowDown");
        await Assertions.Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "Run history" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("End");
        await Assertions.Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "Delete" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("ArrowDown");
        await Assertions.Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "Edit" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.GetByLabel("Actions for Keyboard only")).ToBeFocusedAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "Edit" })).Not.ToBeVisibleAsync();

        await page.Keyboard.PressAsync("ArrowDown");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Keyboard only", Level = 1 })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task RunHistory_TimeFilter_ReadsTimesInTheBrowsersZone_AsTheListShowsThem()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new { name = "Clockwork", sourceScript = "return [];" });
        using (var client = hub.CreateAdminClient())
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/scenarios/{scenarioId}/runs", null)).StatusCode);
        }
        // Tokyo is nine hours from UTC all year: read as UTC, these filters would find the opposite.
        var page = await browser.NewPageAsync(hub, timeZone: "Asia/Tokyo");
        await WebSteps.SignInAsync(page);
        await page.GotoAsync("/runs");
        var tokyoNow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));

        await Assertions.Expect(page.GetByLabel("Queued from (Asia/Tokyo)")).ToBeVisibleAsync();
        await page.GetByLabel("Queued from").FillAsync(tokyoNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("tbody tr")).ToContainTextAsync("Clockwork");

        await page.GetByLabel("Queued from").FillAsync(tokyoNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No runs match these filters" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task RunHistory_PastTenThousandRuns_SaysMoreThanThat_AndCountsTheRestOnceTheUserPagesThere()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, RunsTestData.NoWorkers);
        var scenario = await RunsTestData.CreateScenarioAsync(hub);
        await RunsTestData.AddRunsAsync(hub, scenario, Enumerable.Repeat(RunStatus.Succeeded, 10_005));
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);

        await page.GotoAsync("/runs");
        await Assertions.Expect(page.GetByText("Page 1 · more than 10,000 runs")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Older" })).ToBeVisibleAsync();

        // Page 200 of 50 ends at the 10,000th run, where the count stops: the runs beyond it are still offered.
        await page.GotoAsync("/runs?page=200");
        await Assertions.Expect(page.GetByText("Page 200 · more than 10,000 runs")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Older" })).ToBeVisibleAsync();

        // Page 201 holds runs 10,001 to 10,005: the last page, counted to its end.
        await page.GotoAsync("/runs?page=201");
        await Assertions.Expect(page.GetByText("Page 201 · 10,005 runs")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(5);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Older" })).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task ScenarioEdit_AsksBeforeALinkLeavesUnsavedChanges_AndKeepsThemWhenTheUserStays()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new { name = "Half edited", sourceScript = "return [];" });
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        await page.GotoAsync($"/scenarios/{scenarioId}/edit");
        var dialogs = new List<string>();

        // Unchanged: Advanced edit opens without a question.
        page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            await dialog.DismissAsync();
        };
        await page.GetByRole(AriaRole.Link, new() { Name = "Advanced edit" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Advanced edit", Level = 1 })).ToBeVisibleAsync();
        Assert.Empty(dialogs);

        // Changed: the user is asked, stays, and keeps what they typed.
        await page.GoBackAsync();
        await page.GetByLabel("Name").FillAsync("Half edited, renamed");
        await page.GetByRole(AriaRole.Link, new() { Name = "Advanced edit" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Half edited", Level = 1 })).ToBeVisibleAsync();
        Assert.Equal("Leave this page? Your changes are not saved.", Assert.Single(dialogs));
        await Assertions.Expect(page.GetByLabel("Name")).ToHaveValueAsync("Half edited, renamed");
    }

    [Fact]
    public async Task ScenarioEdits_ThatTheHubRefusedOrOnlyPreviewed_StillAskBeforeALinkLeavesThem()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new { name = "Kept edits", sourceScript = "return [];" });
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        await page.GotoAsync($"/scenarios/{scenarioId}/edit");
        var dialogs = new List<string>();
        var leave = false;
        page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            await (leave ? dialog.AcceptAsync() : dialog.DismissAsync());
        };
        var name = page.GetByLabel("Name", new() { Exact = true });

        // Refused: the page comes back with what was typed, and Cancel asks before throwing it away.
        await name.FillAsync("Kept edits, renamed");
        await page.GetByLabel("Cron expression").FillAsync("not a cron");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("[id='schedule.cron-error']")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(name).ToHaveValueAsync("Kept edits, renamed");
        Assert.Single(dialogs);

        // Previewed: the schedule is shown, nothing is saved, and a link in the main navigation asks too.
        await page.GetByLabel("Cron expression").FillAsync("*/5 * * * *");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview schedule" }).ClickAsync();
        await Assertions.Expect(page.Locator(".callout ol li")).ToHaveCountAsync(5);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Run history" }).ClickAsync();
        await Assertions.Expect(name).ToHaveValueAsync("Kept edits, renamed");
        Assert.Equal(2, dialogs.Count);

        // The user leaves on purpose; on Advanced edit a refused save asks before Back to Edit as well.
        leave = true;
        await page.GetByRole(AriaRole.Link, new() { Name = "Advanced edit" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Advanced edit", Level = 1 })).ToBeVisibleAsync();
        leave = false;
        await page.GetByLabel("Timeout (seconds)").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save advanced settings" }).ClickAsync();
        await Assertions.Expect(page.Locator("[id='advanced.timeoutSeconds-error']")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to Edit" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Timeout (seconds)")).ToHaveValueAsync("0");
        Assert.Equal(4, dialogs.Count);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Advanced edit", Level = 1 })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task SignedInBrowser_TriggersScenario_ByOpeningItsGetUrl()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Browser trigger",
            sourceScript = "log.info('opened from a browser'); return [];",
            advanced = new { enableExternalTriggers = true },
        });
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);

        var response = await page.GotoAsync($"/ExternalData/Accept/{scenarioId}");
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);

        await page.GotoAsync($"/runs?scenario={scenarioId}");
        var row = page.Locator("tbody tr").First;
        await Assertions.Expect(row).ToContainTextAsync("External GET");
        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("run-log")).ToContainTextAsync("opened from a browser", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
    }

    [Fact]
    public async Task DataStorage_AddsEditsAndDeletesAnEntry_AndKeepsWhatWasTypedWhenAValueIsNotJson()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new { name = "Orders cache", sourceScript = "return [];" });
        using var api = hub.CreateAdminClient();
        var cacheUrl = $"/ExternalData/GetCacheData/{scenarioId}?keyJson={Uri.EscapeDataString("{\"id\":7,\"shop\":\"north\"}")}";
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Data storage" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Data storage", Level = 1 })).ToBeVisibleAsync();
        await page.GetByLabel("Scenario", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Orders cache" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/storage/{scenarioId}$"));

        // Added: the key is canonical JSON, so GetCacheData finds it whatever the property order.
        await page.GetByLabel("Key (JSON)").FillAsync("""{ "shop": "north", "id": 7 }""");
        await page.GetByLabel("Value (JSON)").FillAsync("""{"total": 1}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save entry" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Entry saved.");
        Assert.Equal(1, (await api.GetFromJsonAsync<System.Text.Json.JsonElement>(cacheUrl)).GetProperty("total").GetInt32());

        // A value that is not JSON is refused beside its field, and what was typed stays.
        await page.GetByLabel("Value (JSON)").FillAsync("{ total: oops");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save entry" }).ClickAsync();
        await Assertions.Expect(page.Locator("#value-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Value (JSON)")).ToHaveValueAsync("{ total: oops");
        await Assertions.Expect(page.GetByText("Entry saved.")).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "18-storage-invalid-value");

        // Edited.
        await page.GetByLabel("Value (JSON)").FillAsync("""{"total": 2}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save entry" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Entry saved.");
        Assert.Equal(2, (await api.GetFromJsonAsync<System.Text.Json.JsonElement>(cacheUrl)).GetProperty("total").GetInt32());

        // Deleted, after the browser's confirmation.
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = """Delete entry {"id":7,"shop":"north"}""" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Entry deleted.");
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(cacheUrl)).StatusCode);
    }

    [Fact]
    public async Task Workspaces_InstallationAdminCreatesOne_AndItsFirstAdmin_WhoSeesOnlyTheirWorkspace()
    {
        const string Email = "lead@northwind.test";
        const string Password = "Northwind-Lead-42-lamps";
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var admin = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(admin);

        var workspacesLink = admin.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Workspaces" });
        await workspacesLink.ClickAsync();
        await admin.GetByLabel("Name").FillAsync("Northwind");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create workspace" }).ClickAsync();

        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("Workspace Northwind created. Add its first Admin.");
        await Assertions.Expect(admin.Locator(".breadcrumb")).ToHaveTextAsync("Workspaces / Northwind");
        await Assertions.Expect(admin.GetByLabel("Role", new() { Exact = true })).ToHaveValueAsync("Admin");
        await admin.GetByLabel("Email").FillAsync(Email);
        await admin.GetByLabel("Password").FillAsync(Password);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        await Assertions.Expect(admin.Locator("tbody tr", new() { HasText = Email })).ToContainTextAsync("Admin");
        await Assertions.Expect(admin.Locator("tbody tr", new() { HasText = HubHost.AdminEmail })).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(admin, "19-workspace-users");
        await workspacesLink.ClickAsync();
        await Assertions.Expect(admin.Locator("tbody tr", new() { HasText = "Northwind" })).ToContainTextAsync("1");
        await BrowserFixture.ScreenshotAsync(admin, "19-workspaces");

        var lead = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(lead, Email, Password);
        await Assertions.Expect(lead.GetByRole(AriaRole.Link, new() { Name = "Workspaces" })).ToHaveCountAsync(0);
        await lead.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await Assertions.Expect(lead.Locator("tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(lead.Locator("tbody tr")).ToContainTextAsync(Email);
    }

    [Fact]
    public async Task Users_AdminAddsAUser_WhoSignsIn_ThenChangesTheirRole_AndDisablesThem()
    {
        const string Email = "operator@hub.test";
        const string Password = "Quiet-Harbour-42-lamps";
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var admin = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(admin);
        await admin.GotoAsync("/users");

        await admin.GetByLabel("Email").FillAsync(Email);
        await admin.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("Operator");
        await admin.GetByLabel("Password").FillAsync(Password);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        var row = admin.Locator("tbody tr", new() { HasText = Email });
        await Assertions.Expect(row).ToContainTextAsync("Active");

        var newcomer = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(newcomer, Email, Password);

        await row.GetByLabel($"Role of {Email}").SelectOptionAsync("Viewer");
        await row.GetByRole(AriaRole.Button, new() { Name = "Set" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync($"{Email} is now Viewer.");
        using (var api = hub.CreateAdminClient())
        {
            var users = await api.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/users");
            var user = users.EnumerateArray().Single(u => u.GetProperty("email").GetString() == Email);
            Assert.Equal("Viewer", user.GetProperty("role").GetString());
        }

        admin.Dialog += (_, dialog) => dialog.AcceptAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("Disabled");
        await BrowserFixture.ScreenshotAsync(admin, "19-users-disabled");

        var again = await browser.NewPageAsync(hub);
        await again.GotoAsync("/account/login");
        await again.GetByLabel("Email").FillAsync(Email);
        await again.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await again.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(again.GetByRole(AriaRole.Alert)).ToContainTextAsync("This account is disabled.");
    }

    [Fact]
    public async Task MainPages_RenderForAnAdmin_OnLaptopAndPhone()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Orders to ERP",
            description = "Shop orders into the ERP, every quarter hour",
            sourceScript = "return data.map(o => ({ id: o.Body.id, total: o.Body.total }));",
            target = new { type = "storage", keyFields = StorageKeyFields },
            schedule = new { cron = "*/15 * * * *", timeZone = "Europe/Berlin" },
            advanced = new { enableExternalTriggers = true },
        });
        await WebSteps.CreateScenarioAsync(hub, new { name = "Customer sync", sourceScript = "return data;", enabled = false });
        using (var admin = hub.CreateAdminClient())
        {
            var put = await admin.PutAsync($"/api/v1/scenarios/{scenarioId}/storage?keyJson={Uri.EscapeDataString("{\"id\":42}")}",
                new StringContent("""{"id":42,"total":99.5,"customer":"ACME"}""", Encoding.UTF8, "application/json"));
            Assert.True(put.IsSuccessStatusCode, $"Storage PUT answered {(int)put.StatusCode}");
        }

        var page = await browser.NewPageAsync(hub);
        // What the browser's console reports as an error (a script the Content-Security-Policy blocked, a failed load).
        var consoleErrors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                consoleErrors.Add(message.Text);
            }
        };
        await WebSteps.SignInAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "11-scenarios");

        await page.GetByLabel("Actions for Orders to ERP").ClickAsync();
        foreach (var item in ScenarioMenuItems)
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = item, Exact = true })).ToBeVisibleAsync();
        }
        await BrowserFixture.ScreenshotAsync(page, "12-scenario-menu");
        await page.Keyboard.PressAsync("Escape");

        await page.GotoAsync($"/scenarios/{scenarioId}/edit");
        await Assertions.Expect(page.GetByText("Europe/Berlin").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".callout ol li")).ToHaveCountAsync(5);
        await BrowserFixture.ScreenshotAsync(page, "13-scenario-edit-schedule");

        await page.GotoAsync($"/scenarios/{scenarioId}/advanced");
        await Assertions.Expect(page.GetByTestId("url-hint")).ToContainTextAsync($"/ExternalData/Accept/{scenarioId}");
        await Assertions.Expect(page.Locator("#cache-example")).ToContainTextAsync($"/ExternalData/GetCacheData/{scenarioId}?keyJson=");

        await page.GotoAsync($"/storage/{scenarioId}");
        await page.GetByRole(AriaRole.Link, new() { Name = "{\"id\":42}" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Value (JSON)")).ToHaveValueAsync(new Regex("ACME"));
        // The table fits its card at 1280 px: its Delete buttons were cut off behind a scroll bar.
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete entry {\"id\":42}" })).ToBeInViewportAsync(new() { Ratio = 1 });
        await BrowserFixture.ScreenshotAsync(page, "14-data-storage");

        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await Assertions.Expect(page.Locator("tbody").GetByText(HubHost.AdminEmail, new() { Exact = true })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "15-users");

        await WebSteps.UserAccountMenuAsync(page, "Profile and password");
        await Assertions.Expect(page.GetByLabel("Current password")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "16-profile");

        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/scenarios");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Orders to ERP" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "17-scenarios-phone");
        Assert.Empty(consoleErrors);
    }

    [Fact]
    public async Task LongTextWithoutSpaces_StaysInsideThePage_OnLaptopAndPhone()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var longName = "Orders" + new string('x', 194);
        var scenarioId = await WebSteps.CreateScenarioAsync(hub, new
        {
            name = longName,
            description = "Description" + new string('y', 300),
            sourceScript = "return [];",
            target = new { type = "storage", keyFields = StorageKeyFields },
            advanced = new { enableExternalTriggers = true },
        });
        var longKey = "{\"id\":\"" + new string('k', 150) + "\"}";
        using (var admin = hub.CreateAdminClient())
        {
            var put = await admin.PutAsync($"/api/v1/scenarios/{scenarioId}/storage?keyJson={Uri.EscapeDataString(longKey)}",
                new StringContent("{\"total\":1}", Encoding.UTF8, "application/json"));
            Assert.True(put.IsSuccessStatusCode, $"Storage PUT answered {(int)put.StatusCode}");
            var user = await admin.PostAsJsonAsync("/api/v1/users", new { email = new string('e', 60) + "@example.test", password = "Long-Address-42-lamps", role = "Viewer" });
            Assert.True(user.IsSuccessStatusCode, $"Adding a user answered {(int)user.StatusCode}");
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/v1/scenarios/{scenarioId}/runs", null)).StatusCode);
        }
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        (string Name, string Path)[] pages =
        [
            ("scenarios", "/scenarios"), ("edit", $"/scenarios/{scenarioId}/edit"), ("advanced", $"/scenarios/{scenarioId}/advanced"),
            ("runs", "/runs"), ("users", "/users"), ("storage", $"/storage/{scenarioId}"),
            ("storage-entry", $"/storage/{scenarioId}?key={Uri.EscapeDataString(longKey)}"),
        ];

        foreach (var width in new[] { 1280, 390 })
        {
            await page.SetViewportSizeAsync(width, 844);
            foreach (var (name, path) in pages)
            {
                await page.GotoAsync(path);
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                await BrowserFixture.ScreenshotAsync(page, $"21-long-text-{width}-{name}");
                // Nothing sticks out of its box (which would widen the page, or run over its card's edge).
                var overflowing = await page.EvaluateAsync<string[]>("""
                    () => {
                      const page = document.documentElement;
                      const found = page.scrollWidth > page.clientWidth ? [`the page is ${page.scrollWidth}px wide`] : [];
                      for (const el of document.querySelectorAll("main h1, main .card, main .breadcrumb, [data-testid=url-hint]")) {
                        if (el.scrollWidth > el.clientWidth + 1) found.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.scrollWidth}px in ${el.clientWidth}px`);
                      }
                      return found;
                    }
                    """);
                Assert.True(overflowing.Length == 0, $"{path} at {width}px: {string.Join("; ", overflowing)}");
            }
        }

        // Where there is room, an address is not broken inside a word.
        await page.SetViewportSizeAsync(1280, 844);
        await page.GotoAsync("/users");
        var lines = await page.Locator("tbody strong", new() { HasText = HubHost.AdminEmail }).EvaluateAsync<int>(
            "el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))");
        Assert.Equal(1, lines);
    }

    [GeneratedRegex(@"URL:\s*(?<url>\S+)")]
    private static partial Regex UrlHint();

    /// <summary>An HTTP target that holds every request until the test releases it: a run writing to it stays Running.</summary>
    private sealed class HeldHttpTarget : IAsyncDisposable
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private LoopbackHttpServer _server = null!;

        public string Url => _server.Url("orders");

        public static async Task<HeldHttpTarget> StartAsync()
        {
            var target = new HeldHttpTarget();
            target._server = await LoopbackHttpServer.StartAsync(async (_, _) =>
            {
                await target._released.Task;
                return (200, "{}");
            });
            return target;
        }

        public void Release() => _released.TrySetResult();

        public ValueTask DisposeAsync()
        {
            Release();
            return _server.DisposeAsync();
        }
    }
}
