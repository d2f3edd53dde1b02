using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.ExternalApi;
using IntegrationHub.Scenarios;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using static IntegrationHub.Tests.ExternalApi.ExternalApiTestData;
using static IntegrationHub.Tests.Infrastructure.ProblemAssert;

namespace IntegrationHub.Tests.Hosting;

/// <summary>Compressed request bodies: decoded before anything reads them, or refused; never stored as they came.</summary>
public sealed class RequestContentCodingTests
{
    [Theory, AllDatabases]
    public async Task AcceptPost_GzipDeflateOrBrotliBody_IsStoredDecoded_WhateverItsContentType(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var bodies = new (string Coding, string ContentType, string Text, string Field, string Value)[]
        {
            ("gzip", "application/json", """{"id":"7"}""", "id", "7"),
            ("deflate", "application/x-www-form-urlencoded", "id=8&name=form", "name", "form"),
            ("br", "application/xml", "<order><id>9</id></order>", "id", "9"),
            ("GZIP", "application/json", """{"id":"10"}""", "id", "10"),
        };

        foreach (var (coding, contentType, text, field, value) in bodies)
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", Compressed(text, coding, contentType));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var trigger = await PayloadAsync(hub, response);
            Assert.Equal(text, trigger.RawBody);
            var body = contentType == "application/xml" ? trigger.Body.GetProperty("order") : trigger.Body;
            Assert.Equal(value, body.GetProperty(field).GetString());
            // The stored request describes the stored body, which is no longer coded.
            Assert.DoesNotContain(trigger.Headers.Keys, name => name.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_CompressedBodyOverTheLimitOnceDecoded_Returns413_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["ExternalApi:MaxBodyBytes"] = "1024" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var large = Compressed("{\"text\":\"" + new string('x', 100_000) + "\"}", "gzip", "application/json");
        Assert.True(large.Headers.ContentLength < 1024, "the coded body itself is within the limit");

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", large);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertCompleteProblemAsync(response);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_CodingTheHubDoesNotDecode_Returns415NamingTheOnesItDoes_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        foreach (var codings in new[] { new[] { "zstd" }, ["compress"], ["gzip, br"], ["gzip", "gzip"] })
        {
            var content = RawContent("{}"u8.ToArray(), "application/json");
            foreach (var coding in codings)
            {
                content.Headers.TryAddWithoutValidation("Content-Encoding", coding);
            }

            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", content);

            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            await AssertCompleteProblemAsync(response);
            Assert.Equal(["br", "deflate", "gzip"], response.Headers.GetValues("Accept-Encoding").SelectMany(v => v.Split(", ")).Order());
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));

        // The coding is a matter of the body: the checks before the body still come first, and a GET reads none.
        using var anonymous = hub.CreateHttpClient();
        var unknownCodingWithoutCredentials = RawContent("{}"u8.ToArray(), "application/json");
        unknownCodingWithoutCredentials.Headers.ContentEncoding.Add("zstd");
        var withoutCredentials = await anonymous.PostAsync($"/ExternalData/Accept/{scenario.Id}", unknownCodingWithoutCredentials);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutCredentials.StatusCode);
        using var get = new HttpRequestMessage(HttpMethod.Get, $"/ExternalData/Accept/{scenario.Id}") { Content = new ByteArrayContent([]) };
        get.Content.Headers.ContentEncoding.Add("zstd");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(get)).StatusCode);

        var identity = RawContent("""{"id":1}"""u8.ToArray(), "application/json");
        identity.Headers.ContentEncoding.Add("identity");
        var accepted = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", identity);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("""{"id":1}""", (await PayloadAsync(hub, accepted)).RawBody);
    }

    [Theory, AllDatabases]
    public async Task BodyNotCodedAsItsContentEncodingSays_Returns400_OnTheTriggerAndTheManagementApi_AndKeepsNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        foreach (var coding in new[] { "gzip", "deflate", "br" })
        {
            var notCoded = RawContent("""{"id":"plain JSON, not coded at all"}"""u8.ToArray(), "application/json");
            notCoded.Headers.ContentEncoding.Add(coding);
            var storageValue = RawContent("""{"id":"plain JSON, not coded at all"}"""u8.ToArray(), "application/json");
            storageValue.Headers.ContentEncoding.Add(coding);

            var trigger = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", notCoded);
            var store = await client.PutAsync($"/api/v1/scenarios/{scenario.Id}/storage?keyJson=1", storageValue);

            foreach (var response in new[] { trigger, store })
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                var problem = await ProblemAsync(response);
                Assert.Equal("Malformed compressed body", problem.GetProperty("title").GetString());
                Assert.Contains("Content-Encoding", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/scenarios/{scenario.Id}/storage?keyJson=1")).StatusCode);
    }

    [Fact]
    public async Task AcceptPost_GzipDeflateOrBrotliBodyCutShort_Returns400_AndQueuesNothing()
    {
        // The decoders see a stream cut short only with a runtime switch that the hub's runtimeconfig.json turns on and
        // this test process does not have, so the hub runs as deployed: its own process. The database does not matter.
        await using var hub = await HubProcess.StartAsync(await TestDatabase.CreateAsync(DatabaseProvider.Sqlite), new Dictionary<string, string>());
        using var client = hub.CreateAdminClient();
        var created = await client.PostAsJsonAsync("/api/v1/scenarios", ScenarioTestData.ScenarioJson(), TestJson.Options);
        var scenario = (await created.Content.ReadFromJsonAsync<ScenarioResponse>(TestJson.Options))!;
        var form = string.Join("&", Enumerable.Range(0, 2000).Select(i => $"field{i}=value{i}"));

        // Each cut short by half, and by just its end: gzip's CRC-32 and length, zlib's Adler-32, Brotli's last byte.
        foreach (var (coding, trailer) in new[] { ("gzip", 8), ("deflate", 4), ("br", 1) })
        {
            var whole = Coded(form, coding);
            foreach (var cut in new[] { whole[..(whole.Length / 2)], whole[..^trailer] })
            {
                var content = RawContent(cut, "application/x-www-form-urlencoded");
                content.Headers.ContentEncoding.Add(coding);

                // Before: 200, and the script saw the first 991 of the 2,000 fields (or all of them, the trailer unchecked).
                var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", content);

                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                var problem = await ProblemAsync(response);
                Assert.Equal("Malformed compressed body", problem.GetProperty("title").GetString());
                Assert.Contains("truncated", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.False(response.Headers.Contains(ExternalApiEndpoints.RunIdHeader));
            }

            var complete = RawContent(whole, "application/x-www-form-urlencoded");
            complete.Headers.ContentEncoding.Add(coding);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", complete)).StatusCode);
        }
    }

    private static ByteArrayContent Compressed(string text, string coding, string contentType)
    {
        var content = RawContent(Coded(text, coding), contentType);
        content.Headers.ContentEncoding.Add(coding);
        return content;
    }

    private static byte[] Coded(string text, string coding)
    {
        using var coded = new MemoryStream();
        using (Stream compressor = coding.ToLowerInvariant() switch
        {
            "gzip" => new GZipStream(coded, CompressionLevel.Fastest, leaveOpen: true),
            // HTTP's "deflate" is the zlib format (RFC 9110, 8.4.1.2).
            "deflate" => new ZLibStream(coded, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(coded, CompressionLevel.Fastest, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, null),
        })
        {
            compressor.Write(Encoding.UTF8.GetBytes(text));
        }
        return coded.ToArray();
    }
}
