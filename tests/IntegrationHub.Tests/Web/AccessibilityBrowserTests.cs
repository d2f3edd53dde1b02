using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IntegrationHub.Tests.Web;

/// <summary>
/// The pages as people on a screen reader, on the keyboard alone or with a magnified screen use them (WCAG 2.1 AA):
/// axe-core over every page, and what axe cannot see (where the focus goes, how to leave the script editor).
/// </summary>
public sealed class AccessibilityBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] StorageKeyFields = ["id"];
    private const string EntryKey = """{"id":7}""";
    private static readonly string[] WcagAa = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    [Fact]
    public async Task EveryPage_WithDataInIt_HasItsOwnTitle_AndNoSeriousAxeViolations_OnLaptopAndAt320Px()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var orders = await WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Orders to ERP",
            description = "Shop orders into the ERP, every quarter hour",
            sourceScript = "log.info('received ' + data.length); return [{ id: 42, total: 99.5 }];",
            target = new { type = "storage", keyFields = StorageKeyFields },
            schedule = new { cron = "*/15 * * * *", timeZone = "Europe/Berlin" },
            advanced = new { enableExternalTriggers = true },
        });
        var broken = await WebSteps.CreateScenarioAsync(hub, new
        {
            name = "Broken script",
            sourceScript = "log.warn('about to fail');\nthrow new Error('boom');",
            advanced = new { maxAttempts = 1 },
        });
        await WebSteps.CreateScenarioAsync(hub, new { name = "Customer sync", sourceScript = "return data;", enabled = false });
        Guid succeeded, failed;
        using (var admin = hub.CreateAdminClient())
        {
            succeeded = await StartRunAsync(admin, orders);
            failed = await StartRunAsync(admin, broken);
            var put = await admin.PutAsync($"/api/v1/scenarios/{orders}/storage?keyJson={Uri.EscapeDataString(EntryKey)}",
                new StringContent("""{"id":7,"total":12.5,"customer":"ACME"}""", Encoding.UTF8, "application/json"));
            Assert.True(put.IsSuccessStatusCode, $"Storage PUT answered {(int)put.StatusCode}");
            var user = await admin.PostAsJsonAsync("/api/v1/users", new { email = "viewer@example.test", password = "Long-Address-42-lamps", role = "Viewer" });
            Assert.True(user.IsSuccessStatusCode, $"Adding a user answered {(int)user.StatusCode}");
        }

        var page = await browser.NewPageAsync(hub);
        await page.GotoAsync("/account/login");
        await AssertAccessibleAsync(page, "Sign in · IntegrationHub");
        await page.GetByLabel("Email").FillAsync(HubHost.AdminEmail);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "Sign in · IntegrationHub");
        await WebSteps.SignInAsync(page);

        // Runs end before their pages are looked at: a running run's page changes under axe.
        await page.GotoAsync($"/runs/{failed}");
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Failed", new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        await page.GotoAsync($"/runs/{succeeded}");
        await Assertions.Expect(page.Locator(".page-header .badge")).ToHaveTextAsync("Succeeded", new() { Timeout = (float)RunTimeout.TotalMilliseconds });

        (string Path, string Title)[] pages =
        [
            ("/scenarios", "Scenarios · IntegrationHub"),
            ("/scenarios/new", "New scenario · IntegrationHub"),
            ($"/scenarios/{orders}/edit", "Edit Orders to ERP · IntegrationHub"),
            ($"/scenarios/{orders}/advanced", "Advanced edit · Orders to ERP · IntegrationHub"),
            ("/runs", "Run history · IntegrationHub"),
            ($"/runs/{succeeded}", "Run Succeeded · IntegrationHub"),
            ($"/runs/{failed}", "Run Failed · IntegrationHub"),
            ("/storage", "Data storage · IntegrationHub"),
            ($"/storage/{orders}", "Data storage · IntegrationHub"),
            ($"/storage/{orders}?key={Uri.EscapeDataString(EntryKey)}", "Data storage · IntegrationHub"),
            ("/account/token", "API Token · IntegrationHub"),
            ("/account/profile", "Profile · IntegrationHub"),
            ("/users", "Users · IntegrationHub"),
            ("/workspaces", "Workspaces · IntegrationHub"),
            ("/account/denied", "Not allowed · IntegrationHub"),
            ($"/scenarios/{Guid.NewGuid()}/edit", "This scenario does not exist · IntegrationHub"),
            ($"/runs/{Guid.NewGuid()}", "This run does not exist · IntegrationHub"),
            ("/no-such-page", "Page not found · IntegrationHub"),
        ];
        foreach (var width in new[] { 1280, 320 })
        {
            await page.SetViewportSizeAsync(width, 800);
            foreach (var (path, title) in pages)
            {
                await page.GotoAsync(path);
                await AssertAccessibleAsync(page, title);
            }
        }

        // A refused form, with its errors showing.
        await page.GotoAsync($"/scenarios/{orders}/edit");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.GetByText("The scenario was not saved")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "Edit Orders to ERP · IntegrationHub");
    }

    [Fact]
    public async Task RefusedScenario_PutsTheFocusOnWhatWentWrong_TheFieldSaysItsError_AndTheConfirmationTakesTheFocusOnceSaved()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        await page.GotoAsync("/scenarios/new");

        await page.GetByRole(AriaRole.Button, new() { Name = "Create scenario" }).ClickAsync();
        var summary = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "The scenario was not saved" });
        await Assertions.Expect(summary).ToBeFocusedAsync();
        var name = page.GetByLabel("Name", new() { Exact = true });
        await Assertions.Expect(name).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(name).ToHaveAccessibleDescriptionAsync("The name is required.");
        // The next Tab reaches the form, not the top of the page.
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(name).ToBeFocusedAsync();

        await name.FillAsync("Focus test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create scenario" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Scenario created." })).ToBeFocusedAsync();
    }

    [Fact]
    public async Task WrongPassword_PutsTheFocusOnTheError_NotOnTheEmailField()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var page = await browser.NewPageAsync(hub);
        await page.GotoAsync("/account/login");
        var email = page.GetByLabel("Email");
        await Assertions.Expect(email).ToBeFocusedAsync();

        await email.FillAsync(HubHost.AdminEmail);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeFocusedAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The email or password is not right.");
        await Assertions.Expect(email).ToHaveAccessibleDescriptionAsync("The email or password is not right.");
    }

    [Fact]
    public async Task ScriptEditor_TabIndents_AndItsDescriptionTellsTheWayOut_WhichMovesTheFocusOn()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        await page.GotoAsync("/scenarios/new");
        var editor = page.GetByRole(AriaRole.Textbox, new() { Name = "Source Script" });
        await Assertions.Expect(editor).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("press Esc, then Tab; or Ctrl\\+M"));

        await editor.ClickAsync();
        await page.Keyboard.PressAsync("Control+End");
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(editor).ToBeFocusedAsync();

        // Ctrl+M, as the description says (and not Esc then Tab, which CodeMirror allows for two seconds only).
        await page.Keyboard.PressAsync("Control+m");
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByLabel("Target type")).ToBeFocusedAsync();
    }

    [Fact]
    public async Task MainNavigation_ShowsEveryLink_AtEveryWidth_UpTo400PercentZoom()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var page = await browser.NewPageAsync(hub);
        await WebSteps.SignInAsync(page);
        var links = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link);
        await Assertions.Expect(links).ToHaveCountAsync(5);

        // 900 px is a 1800 px screen at 200 %; 320 x 256 a 1280 x 1024 one at 400 %.
        foreach (var (width, height) in new[] { (1280, 800), (900, 800), (700, 800), (320, 256) })
        {
            await page.SetViewportSizeAsync(width, height);
            await page.EvaluateAsync("() => window.scrollTo(0, 0)");
            for (var i = 0; i < 5; i++)
            {
                await Assertions.Expect(links.Nth(i)).ToBeInViewportAsync(new() { Ratio = 1 });
            }
        }
    }

    [Fact]
    public async Task ReducedMotion_StopsTheRunningDotBlinking()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var page = await browser.NewPageAsync(hub);
        await page.GotoAsync("/account/login");
        // A running badge as the pages write it, on a page that has the hub's stylesheet.
        const string DotAnimation = """
            () => {
              const badge = document.createElement("span");
              badge.className = "badge status-running";
              document.body.append(badge);
              return getComputedStyle(badge, "::before").animationName;
            }
            """;
        Assert.Equal("pulse", await page.EvaluateAsync<string>(DotAnimation));

        await page.EmulateMediaAsync(new() { ReducedMotion = ReducedMotion.Reduce });
        Assert.Equal("none", await page.EvaluateAsync<string>(DotAnimation));
    }

    private static async Task<Guid> StartRunAsync(HttpClient admin, Guid scenarioId)
    {
        var accepted = await admin.PostAsync($"/api/v1/scenarios/{scenarioId}/runs", null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>
    /// The page's title, and no axe violation of serious or critical impact against WCAG 2.1 A and AA. Minor and moderate
    /// ones are left out: axe's "needs review" and best-practice findings are a person's call, not a test's.
    /// </summary>
    private static async Task AssertAccessibleAsync(IPage page, string title)
    {
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Assertions.Expect(page).ToHaveTitleAsync(title);
        var result = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. WcagAa] } });
        var serious = result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")
            .ToList();
        var width = page.ViewportSize?.Width;
        Assert.True(serious.Count == 0, $"{page.Url} at {width}px:\n{string.Join("\n", serious)}");
    }
}
