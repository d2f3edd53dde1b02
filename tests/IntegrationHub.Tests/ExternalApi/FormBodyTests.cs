using System.Net;
using System.Net.Http.Headers;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using static IntegrationHub.Tests.ExternalApi.ExternalApiEndpointsTests;

namespace IntegrationHub.Tests.ExternalApi;

public sealed class FormBodyTests
{
    [Theory, AllDatabases]
    public async Task AcceptPost_UrlEncodedFormInLatin1_PercentEscapesAreDecodedByTheCharset(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync(
            $"/ExternalData/Accept/{scenario.Id}",
            RawContent("name=caf%E9&note=a+b%26c"u8.ToArray(), "application/x-www-form-urlencoded; charset=iso-8859-1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = await PayloadAsync(hub, response);
        Assert.Equal("café", trigger.Body.GetProperty("name").GetString());
        Assert.Equal("a b&c", trigger.Body.GetProperty("note").GetString());
        Assert.Equal("name=caf%E9&note=a+b%26c", trigger.RawBody);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_UrlEncodedFieldNotValidUtf8OnceDecoded_Returns400NamingTheField_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // %ED%A0%80 would be the lone surrogate U+D800; %E9 alone is Latin-1, not UTF-8.
        foreach (var body in new[] { "ok=1&bad=%ED%A0%80", "ok=1&bad=caf%E9" })
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent(Encoding.ASCII.GetBytes(body), "application/x-www-form-urlencoded"));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ProblemAsync(response);
            Assert.Equal("Malformed form", problem.GetProperty("title").GetString());
            Assert.Contains("'bad'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_MultipartForm_TextFieldsAreDecodedStrictly_BinaryFilesKeptAsTheyCame(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        byte[] binary = [0xFF, 0xFE, 0x00, 0x80, 0xE9];
        var latin1Field = new ByteArrayContent(Encoding.Latin1.GetBytes("café"));
        latin1Field.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "iso-8859-1" };
        using var good = new MultipartFormDataContent
        {
            { new ByteArrayContent(binary), "upload", "data.bin" },
            { latin1Field, "name" },
        };
        using var bad = new MultipartFormDataContent { { new ByteArrayContent([.. "caf"u8, 0xE9]), "name" } };

        var accepted = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", good);
        var refused = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", bad);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var body = (await PayloadAsync(hub, accepted)).Body;
        Assert.Equal(binary, Convert.FromBase64String(body.GetProperty("upload").GetProperty("content").GetString()!));
        Assert.Equal("café", body.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("'name'", (await ProblemAsync(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }
}
