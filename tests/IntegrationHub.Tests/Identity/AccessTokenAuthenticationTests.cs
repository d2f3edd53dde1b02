using System.Net;
using System.Net.Http.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

public sealed class AccessTokenAuthenticationTests
{
    [Theory, AllDatabases]
    public async Task Me_WithBootstrapAdminToken_ReturnsAdminOfDefaultWorkspace(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateAdminClient();

        var me = await client.GetFromJsonAsync<MeResponse>("/api/v1/me", TestJson.Options);

        Assert.NotNull(me);
        Assert.Equal(HubHost.AdminEmail, me.Email);
        Assert.Equal(UserRole.Admin, me.Role);
        Assert.True(me.IsInstallationAdmin);
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    public async Task Me_SchemeNameIsCaseInsensitive(string scheme)
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"{scheme} {HubHost.AdminToken}");

        var response = await client.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory, AllDatabases]
    public async Task Me_WithUnknownToken_Returns401ProblemWithChallenge(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        using var client = hub.CreateHttpClient(AccessTokenFormat.Generate());

        var response = await client.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Me_WithoutCredentials_Returns401NotRedirect()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        using var client = hub.CreateHttpClient();

        var response = await client.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void GeneratedTokens_Carry256BitsAndAreStoredOnlyAsHash()
    {
        var token = AccessTokenFormat.Generate();

        Assert.StartsWith(AccessTokenFormat.Marker, token, StringComparison.Ordinal);
        Assert.Equal(AccessTokenFormat.Marker.Length + 43, token.Length); // 32 bytes in base64url
        Assert.Equal(64, AccessTokenFormat.Hash(token).Length);
        Assert.DoesNotContain(token[AccessTokenFormat.Marker.Length..], AccessTokenFormat.Hash(token), StringComparison.Ordinal);
    }
}
