using IntegrationHub.Tests.Infrastructure;

namespace IntegrationHub.Tests.Identity;

/// <summary>What a client generated from <c>/openapi/v1.json</c> learns about signing in and out.</summary>
public sealed class AccountOpenApiTests
{
    [Fact]
    public async Task LoginAndLogout_Describe302ForAFormPost_WithLocation()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        foreach (var path in new[] { "/account/login", "/account/logout" })
        {
            var operation = document.Operation("post", path);
            Assert.True(operation.GetProperty("responses").TryGetProperty("302", out var redirect), $"{path} does not describe 302");
            Assert.Contains("form post", redirect.GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.False(redirect.TryGetProperty("content", out _), $"{path}'s 302 declares a body");
            Assert.Contains("Location", operation.Headers("302"));
        }
        // A wrong password is a redirect too, back to the sign-in page: the description must not promise a sign-in.
        Assert.Contains("whether or not the password is right",
            document.Operation("post", "/account/login").GetProperty("responses").GetProperty("302").GetProperty("description").GetString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_DescribesItsBody_AsJsonOrAForm_OfTheLoginRequest()
    {
        var document = await OpenApiTestDocument.FetchAsync();

        var content = document.Operation("post", "/account/login").GetProperty("requestBody").GetProperty("content");

        foreach (var mediaType in new[] { "application/json", "application/x-www-form-urlencoded" })
        {
            Assert.Equal("#/components/schemas/LoginRequest", content.GetProperty(mediaType).GetProperty("schema").GetProperty("$ref").GetString());
        }
    }
}
