using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace IntegrationHub.Tests.Identity;

/// <summary>"Sign in with Microsoft": the OpenID Connect code flow against the local identity provider, browser steps done by hand.</summary>
public sealed class MicrosoftSignInTests
{
    [Theory, AllDatabases]
    public async Task SignInWithMicrosoft_InTheGroup_ComesBackWithHubCookie(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(provider, Settings(idp));

        var (location, cookie) = await SignInAsync(hub, idp, groups: [LocalIdentityProvider.Group]);

        Assert.Equal("/runs", location);
        Assert.NotNull(cookie);
        using var browser = hub.CreateCookieClient(cookie);
        var me = await browser.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);
        Assert.Equal("someone@contoso.test", me!.Email);
        Assert.Equal(UserRole.Operator, me.Role);
    }

    [Fact]
    public async Task SignInWithMicrosoft_OutsideTheGroup_GetsNoCookieAndReturnsToSignInPage()
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, Settings(idp));

        var (location, cookie) = await SignInAsync(hub, idp, groups: ["another-group"]);

        Assert.Equal("/account/login?failed=microsoft", location);
        Assert.Null(cookie);
        // The page says what went wrong: not a wrong password.
        using var client = hub.CreateHttpClient();
        var page = await client.GetStringAsync(location);
        Assert.Contains("Signing in with Microsoft did not work", page, StringComparison.Ordinal);
        Assert.DoesNotContain("email or password is not right", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInWithMicrosoft_WithoutClientSecret_IsNotOffered()
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        var settings = Settings(idp);
        settings["AzureAd:ClientSecret"] = null;
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, settings);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/account/login/microsoft");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>Plays the browser: start, "sign in" at the provider, post the code back; returns where the hub sends it and its auth cookie.</summary>
    private static async Task<(string? Location, string? Cookie)> SignInAsync(HubHost hub, LocalIdentityProvider idp, string[] groups)
    {
        using var client = hub.CreateHttpClient();
        var start = await client.GetAsync("/account/login/microsoft?returnUrl=%2Fruns");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.StartsWith($"{idp.Instance}{LocalIdentityProvider.TenantId}/oauth2/v2.0/authorize", authorize.ToString(), StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal(LocalIdentityProvider.ClientId, query["client_id"].ToString());
        var handshakeCookies = string.Join("; ", start.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

        var code = idp.IssueCode(query["nonce"].ToString(), groups);
        using var callback = new HttpRequestMessage(HttpMethod.Post, query["redirect_uri"].ToString())
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = code, ["state"] = query["state"].ToString() }),
        };
        callback.Headers.Add("Cookie", handshakeCookies);
        var back = await client.SendAsync(callback);

        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        return (back.Headers.Location?.OriginalString, IdentityTestClient.AuthCookie(back));
    }

    private static Dictionary<string, string?> Settings(LocalIdentityProvider idp) =>
        idp.HubSettings(("AzureAd:ClientSecret", "local-secret"), ("AzureAd:Group", LocalIdentityProvider.Group));
}
