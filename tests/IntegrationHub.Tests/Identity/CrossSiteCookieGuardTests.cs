using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

/// <summary>Changes to /api/v1 that a page of another site makes a signed-in browser send, with the cookie it sends along.</summary>
public sealed class CrossSiteCookieGuardTests
{
    private const string EvilOrigin = "https://evil.example";

    [Theory]
    [InlineData("same-site", EvilOrigin)]
    [InlineData("cross-site", EvilOrigin)]
    [InlineData(null, EvilOrigin)]
    [InlineData(null, "null")]
    public async Task DisableUser_WithCookie_FromAnotherSite_Returns403_AndLeavesTheUserEnabled(string? fetchSite, string origin)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        var cookie = await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword);
        using var browser = hub.CreateCookieClient(cookie);

        var response = await browser.SendAsync(FormPost(HttpMethod.Post, $"/api/v1/users/{user.Id}/disable", fetchSite, origin));

        await AssertRefusedAsync(response);
        Assert.False((await admin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{user.Id}", TestJson.Options))!.Disabled);
    }

    [Fact]
    public async Task DisableUser_FromTheHubsOwnOrigin_OrWithABearerToken_StillWorks()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        var user = await admin.CreateUserAsync(UserRole.Viewer);
        using var browser = hub.CreateCookieClient(await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword));

        var sameOrigin = await browser.SendAsync(FormPost(HttpMethod.Post, $"/api/v1/users/{user.Id}/disable", "same-origin", HubOrigin(hub)));
        var withoutFetchMetadata = await browser.SendAsync(FormPost(HttpMethod.Post, $"/api/v1/users/{user.Id}/enable", null, HubOrigin(hub)));
        var bearer = await admin.SendAsync(FormPost(HttpMethod.Post, $"/api/v1/users/{user.Id}/disable", "cross-site", EvilOrigin));

        Assert.Equal(HttpStatusCode.OK, sameOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withoutFetchMetadata.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.True((await admin.GetFromJsonAsync<UserInfo>($"/api/v1/users/{user.Id}", TestJson.Options))!.Disabled);
    }

    [Fact]
    public async Task RegenerateToken_WithCookie_FromAnotherSite_Returns403_AndTheTokenKeepsWorking()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var browser = hub.CreateCookieClient(await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword));
        var created = await browser.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest("ci", null), TestJson.Options);
        var token = (await created.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!;

        var forged = await browser.SendAsync(FormPost(HttpMethod.Post, $"/api/v1/me/tokens/{token.Info.Id}/regenerate", "cross-site", EvilOrigin));
        using var withToken = hub.CreateHttpClient(token.Token);
        var stillWorks = await withToken.GetAsync("/api/v1/me");
        var own = await browser.SendAsync(FormPost(HttpMethod.Post, $"/api/v1/me/tokens/{token.Info.Id}/regenerate", "same-origin", HubOrigin(hub)));

        await AssertRefusedAsync(forged);
        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
    }

    /// <summary>
    /// One change of each feature under /api/v1. The ids are made up: the guard answers before the endpoint looks, and
    /// the same request by a bearer token or from the hub's own origin reaches the endpoint (which answers 404 or 400).
    /// </summary>
    [Fact]
    public async Task EveryFeaturesChanges_WithCookie_FromAnotherSite_Return403_ButReachTheEndpointOtherwise()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var admin = hub.CreateAdminClient();
        using var browser = hub.CreateCookieClient(await hub.SignInCookieAsync(HubHost.AdminEmail, HubHost.AdminPassword));
        var id = Guid.NewGuid();
        (HttpMethod Method, string Path)[] changes =
        [
            (HttpMethod.Post, $"/api/v1/runs/{id}/retry"),
            (HttpMethod.Post, $"/api/v1/runs/{id}/cancel"),
            (HttpMethod.Post, $"/api/v1/scenarios/{id}/runs"),
            (HttpMethod.Post, "/api/v1/scenarios"),
            (HttpMethod.Delete, $"/api/v1/scenarios/{id}"),
            (HttpMethod.Put, $"/api/v1/scenarios/{id}/storage?keyJson=%22k%22"),
            (HttpMethod.Delete, $"/api/v1/scenarios/{id}/storage?keyJson=%22k%22"),
            (HttpMethod.Post, "/api/v1/me/password"),
            (HttpMethod.Delete, $"/api/v1/me/tokens/{id}"),
            (HttpMethod.Post, "/api/v1/workspaces"),
            (HttpMethod.Put, $"/api/v1/users/{id}/role"),
        ];

        foreach (var (method, path) in changes)
        {
            var forged = await browser.SendAsync(FormPost(method, path, "same-site", EvilOrigin));
            var bearer = await admin.SendAsync(FormPost(method, path, "cross-site", EvilOrigin));
            var own = await browser.SendAsync(FormPost(method, path, "same-origin", HubOrigin(hub)));

            Assert.True(forged.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} with the cookie from another site: {forged.StatusCode}");
            await AssertRefusedAsync(forged);
            Assert.True(bearer.StatusCode is not HttpStatusCode.Forbidden and < HttpStatusCode.InternalServerError, $"{method} {path} with a token: {bearer.StatusCode}");
            Assert.True(own.StatusCode is not HttpStatusCode.Forbidden and < HttpStatusCode.InternalServerError, $"{method} {path} from the hub: {own.StatusCode}");
        }
    }

    /// <summary>What a plain HTML form of a page sends: urlencoded, with the browser's Fetch Metadata and Origin.</summary>
    private static HttpRequestMessage FormPost(HttpMethod method, string path, string? fetchSite, string origin)
    {
        var request = new HttpRequestMessage(method, path) { Content = new FormUrlEncodedContent([new("a", "b")]) };
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }
        request.Headers.Add("Origin", origin);
        return request;
    }

    private static string HubOrigin(HubHost hub) => hub.BaseAddress.GetLeftPart(UriPartial.Authority);

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var problem = await IdentityTestClient.ReadProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("another site cannot use your sign-in cookie", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
