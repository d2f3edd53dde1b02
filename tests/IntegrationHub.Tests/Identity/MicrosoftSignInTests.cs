using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

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

    [Theory]
    [InlineData("AzureAd:ClientSecret", null)]
    [InlineData("AzureAd:TenantId", null)]
    [InlineData("AzureAd:Group", "another-group")]
    [InlineData("AzureAd:Group", null)]
    public async Task MicrosoftSession_Ends_WhenSignInWithMicrosoftIsOffOrAdmitsAnotherGroup_OnTheNodeItComesTo(string setting, string? value)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var first = HubHost.Start(database, Settings(idp));
        var (_, cookie) = await SignInAsync(first, idp, groups: [LocalIdentityProvider.Group]);
        var changed = Settings(idp);
        changed[setting] = value;
        if (setting == "AzureAd:TenantId")
        {
            changed["AzureAd:ClientId"] = null;
        }
        await using var second = HubHost.Start(database, changed);

        using var browser = second.CreateCookieClient(cookie!);
        var refused = await browser.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        // Ended, not only refused there: the first node, whose settings admit it, does not take it back either.
        using var back = first.CreateCookieClient(cookie!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await back.GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory, AllDatabases]
    public async Task MicrosoftSession_TakesANewRoleOrWorkspaceAtOnce(DatabaseProvider provider)
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        var database = await TestDatabase.CreateAsync(provider);
        await using var first = HubHost.Start(database, Settings(idp));
        var (_, cookie) = await SignInAsync(first, idp, groups: [LocalIdentityProvider.Group]);
        using var api = first.CreateAdminClient();
        var other = (await (await api.PostAsJsonAsync("/api/v1/workspaces", new { name = "Northwind" })).Content.ReadFromJsonAsync<WorkspaceInfo>(TestJson.Options))!;
        var changed = Settings(idp);
        changed["AzureAd:Role"] = "Viewer";
        changed["AzureAd:WorkspaceId"] = other.Id.ToString();
        await using var second = HubHost.Start(database, changed);

        using var browser = second.CreateCookieClient(cookie!);
        var me = await browser.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);

        Assert.Equal((UserRole.Viewer, other.Id), (me!.Role, me.WorkspaceId));
    }

    [Fact]
    public async Task MicrosoftSession_EndsAfterTheSessionLifetime_EvenWhileInUse()
    {
        await using var idp = await LocalIdentityProvider.StartAsync();
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite, Settings(idp));
        var (_, cookie) = await SignInAsync(hub, idp, groups: [LocalIdentityProvider.Group]);
        using var browser = hub.CreateCookieClient(cookie!);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);

        // As if the person signed in at Microsoft 8 hours (the default lifetime) ago; the session's ticket is on the server.
        await using (var db = await Runs.RunsTestData.CreateDbAsync(hub))
        {
            var session = await db.CookieSessions.SingleAsync(s => s.UserId == null);
            var ticket = TicketSerializer.Default.Deserialize(session.Ticket)!;
            var identity = (ClaimsIdentity)ticket.Principal.Identity!;
            identity.RemoveClaim(identity.FindFirst(HubClaims.MicrosoftSignedInAt));
            identity.AddClaim(new Claim(HubClaims.MicrosoftSignedInAt, DateTimeOffset.UtcNow.AddHours(-8).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
            session.Ticket = TicketSerializer.Default.Serialize(ticket);
            await db.SaveChangesAsync();
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/me")).StatusCode);
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
