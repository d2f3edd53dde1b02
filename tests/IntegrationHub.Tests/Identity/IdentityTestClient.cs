using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

/// <summary>Steps identity tests share: users made through the admin API, cookies from a real sign-in.</summary>
internal static class IdentityTestClient
{
    public const string Password = "Correct-Horse-9";

    /// <summary>Creates a user through <c>POST /api/v1/users</c> as <paramref name="admin"/>.</summary>
    public static async Task<UserInfo> CreateUserAsync(
        this HttpClient admin, UserRole role, Guid? workspaceId = null, string? email = null, string password = Password)
    {
        email ??= $"{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}@hub.test";
        var response = await admin.PostAsJsonAsync("/api/v1/users", new CreateUserRequest(email, password, role, workspaceId), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<CreatedUser>(TestJson.Options);
        return created!.User;
    }

    /// <summary>A personal access token of <paramref name="email"/>: signs in with the password and creates one (named uniquely: names of live tokens are).</summary>
    public static async Task<string> CreateTokenForAsync(this HubHost hub, string email, string password = Password)
    {
        using var browser = await hub.SignInAsync(email, password);
        var response = await browser.PostAsJsonAsync("/api/v1/me/tokens", new CreateTokenRequest($"test {Guid.NewGuid():N}", null), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CreatedAccessToken>(TestJson.Options))!.Token;
    }

    /// <summary>Signs in through <c>POST /account/login</c> and returns a client that sends the cookie it got.</summary>
    public static async Task<HttpClient> SignInAsync(this HubHost hub, string email, string password = Password)
    {
        var cookie = await hub.SignInCookieAsync(email, password);
        return hub.CreateCookieClient(cookie);
    }

    /// <summary>The <c>name=value</c> of the hub's auth cookie after a JSON sign-in.</summary>
    public static async Task<string> SignInCookieAsync(this HubHost hub, string email, string password = Password)
    {
        using var client = hub.CreateHttpClient();
        var response = await client.PostAsJsonAsync("/account/login", new LoginRequest(email, password, null), TestJson.Options);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return AuthCookie(response) ?? throw new InvalidOperationException("The sign-in set no cookie.");
    }

    public static HttpClient CreateCookieClient(this HubHost hub, string cookie)
    {
        var client = hub.CreateHttpClient();
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }

    /// <summary>
    /// The auth cookie a response sets, as <c>name=value</c>; null when it sets none. A sign-in from a browser that had a
    /// session removes the old cookie, then sets the new one: the last one counts, as it does for a browser.
    /// </summary>
    public static string? AuthCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Where(v => v.StartsWith("IntegrationHub.Auth=", StringComparison.Ordinal)).Select(v => v.Split(';')[0])
                .LastOrDefault(v => v != "IntegrationHub.Auth=")
            : null;

    public static Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status) => ReadProblemAsync(response, status);

    /// <summary>Asserts an RFC 7807 problem of <paramref name="status"/> and returns its body.</summary>
    public static async Task<System.Text.Json.JsonElement> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>Asserts a 400 validation problem naming <paramref name="field"/> in its errors.</summary>
    public static async Task AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"No error for '{field}' in {problem}");
    }
}
