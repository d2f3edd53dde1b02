using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

/// <summary>The server-rendered API Token page's forms, posted over HTTP.</summary>
public sealed partial class ApiTokenPageTests
{
    [Fact]
    public async Task CreateNamed_WithExpiryItCannotRead_ShowsFieldError_InsteadOfATokenThatNeverExpires()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);

        var response = await PageForm.PostAsync(hub, cookie, "/account/token", "create-named",
            new Dictionary<string, string> { ["Input.Name"] = "CI", ["Input.ExpiresInDays"] = "abc" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains($"Enter a whole number from 1 to {PersonalAccessTokens.MaximumExpiresInDays}.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateNamed_ResubmittedByAReload_MakesNoSecondToken_AndShowsTheFirstOnce()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var browser = hub.CreateCookieClient(cookie);
        var nonce = NonceInput().Match(await browser.GetStringAsync("/account/token")).Groups[1].Value;
        var form = new Dictionary<string, string> { ["Input.Name"] = "CI", ["Input.ExpiresInDays"] = "", ["Input.Nonce"] = nonce };

        var first = await PageForm.PostAsync(hub, cookie, "/account/token", "create-named", form);
        // A reload of the answer: the browser sends the very same form again.
        var again = await PageForm.PostAsync(hub, cookie, "/account/token", "create-named", form);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Matches(TokenValue(), await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var againHtml = WebUtility.HtmlDecode(await again.Content.ReadAsStringAsync());
        Assert.Contains("This form was sent already", againHtml, StringComparison.Ordinal);
        Assert.DoesNotMatch(TokenValue(), againHtml);
        var tokens = await browser.GetFromJsonAsync<List<AccessTokenInfo>>("/api/v1/me/tokens", TestJson.Options);
        Assert.Single(tokens!, t => t.Name == "CI");
    }

    [Fact]
    public async Task PersonalToken_IsShownOnceWhenMade_AndAfterwardsOnlyItsPrefix_AndThePageSaysSo()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var viewer = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(viewer.Email);
        using var browser = hub.CreateCookieClient(cookie);

        var before = WebUtility.HtmlDecode(await browser.GetStringAsync("/account/token"));
        var made = WebUtility.HtmlDecode(await (await PageForm.PostAsync(hub, cookie, "/account/token", "create-personal", [])).Content.ReadAsStringAsync());
        var after = WebUtility.HtmlDecode(await browser.GetStringAsync("/account/token"));

        // The seed says to copy the token from the Personal Token field; only a hash is kept, so that works once.
        Assert.Contains("It is shown here once, when it is made", before, StringComparison.Ordinal);
        // A Viewer's token reads; it is not offered as a way to trigger.
        Assert.Contains("your role does not trigger scenarios", before, StringComparison.Ordinal);
        var token = TokenValue().Match(made).Value;
        Assert.NotEmpty(token);
        Assert.Contains("it is shown only this once", made, StringComparison.Ordinal);
        Assert.DoesNotContain(token, after, StringComparison.Ordinal);
        Assert.Contains(AccessTokenFormat.Prefix(token), after, StringComparison.Ordinal);
        Assert.Contains("Only the beginning is shown", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PersonalTokenForms_SentAgainByAReload_AreAnsweredByThePage_AndMakeNoSecondToken()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var browser = hub.CreateCookieClient(cookie);

        await PageForm.PostAsync(hub, cookie, "/account/token", "create-personal", []);
        // The reload: the page now has a personal token, so it shows Regenerate and Revoke instead of Create.
        var createdAgain = await PageForm.PostAsync(hub, cookie, "/account/token", "create-personal", []);
        await PageForm.PostAsync(hub, cookie, "/account/token", "revoke-personal", []);
        var revokedAgain = await PageForm.PostAsync(hub, cookie, "/account/token", "revoke-personal", []);

        Assert.Equal(HttpStatusCode.OK, createdAgain.StatusCode);
        Assert.Contains("You have a personal token already", WebUtility.HtmlDecode(await createdAgain.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, revokedAgain.StatusCode);
        Assert.Contains("You have no personal token now", WebUtility.HtmlDecode(await revokedAgain.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        var tokens = await browser.GetFromJsonAsync<List<AccessTokenInfo>>("/api/v1/me/tokens", TestJson.Options);
        Assert.Single(tokens!, t => t.Name == ApiTokenPage.PersonalTokenName);
    }

    [Fact]
    public async Task RevokingANamedToken_SentAgainByAReload_IsAnsweredByThePage()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var browser = hub.CreateCookieClient(cookie);
        var created = await browser.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("CI", null), TestJson.Options);
        var token = (await created.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!.Info;

        var revoked = await PageForm.PostAsync(hub, cookie, "/account/token", $"revoke-{token.Id}", []);
        var revokedAgain = await PageForm.PostAsync(hub, cookie, "/account/token", $"revoke-{token.Id}", []);

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.OK, revokedAgain.StatusCode);
        Assert.Contains("CI", WebUtility.HtmlDecode(await revokedAgain.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"Input.Nonce\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex NonceInput();

    /// <summary>A whole token as the page shows it once: ih_ and 43 base64url characters.</summary>
    [GeneratedRegex("ih_[A-Za-z0-9_-]{43}")]
    private static partial Regex TokenValue();
}
