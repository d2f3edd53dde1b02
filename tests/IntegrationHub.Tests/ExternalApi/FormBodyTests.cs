using System.Net;
using System.Net.Http.Headers;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using static IntegrationHub.Tests.ExternalApi.ExternalApiTestData;
using static IntegrationHub.Tests.Infrastructure.ProblemAssert;

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

    [Fact]
    public async Task AcceptPost_UrlEncodedFormInALegacyCharset_PercentEscapesAreDecodedByIt()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // %80 is "€" in windows-1252 (a control character in Latin-1), %E9 "é".
        var response = await client.PostAsync(
            $"/ExternalData/Accept/{scenario.Id}",
            RawContent("name=caf%E9&price=5+%80"u8.ToArray(), "application/x-www-form-urlencoded; charset=windows-1252"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = await PayloadAsync(hub, response);
        Assert.Equal("café", trigger.Body.GetProperty("name").GetString());
        Assert.Equal("5 €", trigger.Body.GetProperty("price").GetString());
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_UrlEncodedFormInUtf16OrUtf32_Returns415SayingWhichCharsetsAFormMayUse_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        foreach (var charset in new[] { "utf-16", "utf-16be", "utf-32" })
        {
            // Before: 200, with "caf%C3%A9" stored as it came: the escapes were looked for in the UTF-16 bytes.
            var body = Encoding.GetEncoding(charset).GetBytes("a=caf%C3%A9");
            var response = await client.PostAsync(
                $"/ExternalData/Accept/{scenario.Id}", RawContent(body, $"application/x-www-form-urlencoded; charset={charset}"));

            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            var problem = await ProblemAsync(response);
            Assert.Equal("Unsupported charset", problem.GetProperty("title").GetString());
            Assert.Contains($"'{charset}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("UTF-8", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
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

    [Theory, AllDatabases]
    public async Task AcceptPost_MultipartBoundaryLongerThan70Characters_Returns400SayingWhy_WhileA70CharacterOneIsAccepted(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // 5,000 characters made MultipartReader's constructor throw, which answered 500.
        foreach (var length in new[] { 5000, 71 })
        {
            var boundary = new string('b', length);
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", MultipartWithBoundary(boundary));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ProblemAsync(response);
            Assert.Equal("Malformed multipart form", problem.GetProperty("title").GetString());
            Assert.Contains("at most 70", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));

        var longest = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", MultipartWithBoundary(new string('b', 70)));
        Assert.Equal(HttpStatusCode.OK, longest.StatusCode);
        Assert.Equal("1", (await PayloadAsync(hub, longest)).Body.GetProperty("a").GetString());
    }

    // MultipartFormDataContent refuses a boundary over 70 characters itself, so the body is written by hand.
    private static ByteArrayContent MultipartWithBoundary(string boundary) => RawContent(
        Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--{boundary}--\r\n"),
        $"multipart/form-data; boundary={boundary}");
}
