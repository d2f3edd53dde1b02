using System.Net.Http.Json;
using System.Text.Json;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IntegrationHub.Tests.Web;

/// <summary>What the browser tests do again and again, as a person would do it.</summary>
internal static class WebSteps
{
    /// <summary>Signs in on the Sign in page and waits for the scenario list.</summary>
    public static async Task SignInAsync(IPage page, string email = HubHost.AdminEmail, string password = HubHost.AdminPassword)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Scenarios", Level = 1 })).ToBeVisibleAsync();
    }

    /// <summary>Opens the User account menu in the upper right corner and picks <paramref name="item"/>.</summary>
    public static async Task UserAccountMenuAsync(IPage page, string item)
    {
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.GetByLabel("User account").ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = item }).ClickAsync();
    }

    /// <summary>Integration > Scenarios, the down arrow next to the scenario, then <paramref name="item"/>.</summary>
    public static async Task ScenarioMenuAsync(IPage page, string scenarioName, string item)
    {
        await FollowLinkAsync(page, page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Scenarios" }));
        await page.GetByLabel($"Actions for {scenarioName}").ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = item, Exact = true }).ClickAsync();
    }

    /// <summary>
    /// Clicks a link that Blazor follows by enhanced navigation and waits until the new page is patched in. Waiting for
    /// the network to be idle is not enough: it is already reached from the last full load, so a menu opened next could
    /// be closed again by the patch arriving after it. Right after a full load Blazor's script may not have run yet:
    /// it is waited for, and should the click still load the page in full, the new document ends the wait.
    /// </summary>
    public static async Task FollowLinkAsync(IPage page, ILocator link)
    {
        await page.WaitForFunctionAsync("() => typeof window.Blazor?.addEventListener === 'function'");
        await page.EvaluateAsync("""
            () => {
              window.hubTestPatched = false;
              const patched = () => { window.hubTestPatched = true; Blazor.removeEventListener("enhancedload", patched); };
              Blazor.addEventListener("enhancedload", patched);
            }
            """);
        await link.ClickAsync();
        // True once patched in; undefined in a new document, after a full load.
        await page.WaitForFunctionAsync("() => window.hubTestPatched !== false");
        await page.WaitForLoadStateAsync(LoadState.Load);
    }

    /// <summary>Replaces the Source Script in the CodeMirror editor by typing, as a user would.</summary>
    public static async Task TypeScriptAsync(IPage page, string script)
    {
        var editor = page.Locator(".cm-content");
        await editor.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.PressAsync("Delete");
        // InsertText: no auto-indent or bracket closing, so the text is exactly the script.
        await page.Keyboard.InsertTextAsync(script);
    }

    /// <summary>Creates a scenario through the API as the bootstrapped admin; returns its id.</summary>
    public static async Task<Guid> CreateScenarioAsync(HubHost hub, object scenario)
    {
        using var client = hub.CreateAdminClient();
        var response = await client.PostAsJsonAsync("/api/v1/scenarios", scenario, TestJson.Options);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Creating the scenario answered {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>The browser's cookies as one Cookie header, for a plain HTTP request made as the signed-in user.</summary>
    public static async Task<string> CookieHeaderAsync(IPage page)
    {
        var cookies = await page.Context.CookiesAsync();
        return string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}"));
    }
}
