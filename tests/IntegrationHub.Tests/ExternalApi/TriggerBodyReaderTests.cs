using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using static IntegrationHub.Tests.ExternalApi.ExternalApiTestData;
using static IntegrationHub.Tests.Infrastructure.ProblemAssert;

namespace IntegrationHub.Tests.ExternalApi;

/// <summary>What any body goes through: its charset, its bytes, and the JSON checks on the hot path.</summary>
public sealed class TriggerBodyReaderTests
{
    [Theory, AllDatabases]
    public async Task AcceptPost_JsonWithAnEscapedLoneSurrogate_Returns400SayingWhere_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var url = $"/ExternalData/Accept/{scenario.Id}";

        var loneHigh = await client.PostAsync(url, Json("{\n  \"s\": \"\\ud800\"\n}"));
        var loneLowInAName = await client.PostAsync(url, Json("{\"ok\": 1, \"\\udc00\": 2}"));
        var pair = await client.PostAsync(url, Json("{\"s\": \"\\ud83d\\ude00\"}"));

        Assert.Equal(HttpStatusCode.BadRequest, loneHigh.StatusCode);
        var detail = (await ProblemAsync(loneHigh)).GetProperty("detail").GetString();
        Assert.Contains("line 2, position 8", detail, StringComparison.Ordinal);
        Assert.Contains("surrogate", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, loneLowInAName.StatusCode);
        Assert.Contains("line 1, position 11", (await ProblemAsync(loneLowInAName)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, pair.StatusCode);
        Assert.Equal("😀", (await PayloadAsync(hub, pair)).Body.GetProperty("s").GetString());
        Assert.Single(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_BodyNotValidInItsCharset_Returns400SayingAtWhichByte_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var invalid = new (byte[] Body, string ContentType, string Where)[]
        {
            ([.. "{\"s\":\"caf"u8, 0xE9, .. "\"}"u8], "application/json", "UTF-8 at byte offset 9"),
            ([.. "<a>caf"u8, 0xE9, .. "</a>"u8], "application/xml", "UTF-8 at byte offset 6"),
            ([.. "a=caf"u8, 0xE9], "application/x-www-form-urlencoded", "UTF-8 at byte offset 5"),
            ([.. "{\"s\":\"caf"u8, 0xE9, .. "\"}"u8], "application/json; charset=us-ascii", "US-ASCII at byte offset 9"),
        };

        foreach (var (body, contentType, where) in invalid)
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent(body, contentType));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(where, (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_JsonWithAUtf8ByteOrderMark_IsAccepted_AndTheMarkIsNotPartOfTheBody(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent([0xEF, 0xBB, 0xBF, .. "{\"id\":7}"u8], "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trigger = await PayloadAsync(hub, response);
        Assert.Equal(7, trigger.Body.GetProperty("id").GetInt32());
        Assert.Equal("{\"id\":7}", trigger.RawBody);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_JsonInAnotherCharset_IsDecodedByIt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        const string json = """{"name":"café"}""";
        var charsets = new (string Charset, byte[] Body)[]
        {
            ("utf-16", Encoding.Unicode.GetBytes(json)),
            ("utf-16", [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(json)]),
            ("UTF-16BE", Encoding.BigEndianUnicode.GetBytes(json)),
            ("utf-32", Encoding.UTF32.GetBytes(json)),
            ("iso-8859-1", Encoding.Latin1.GetBytes(json)),
            ("\"utf-8\"", Encoding.UTF8.GetBytes(json)),
        };

        foreach (var (charset, body) in charsets)
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent(body, $"application/json; charset={charset}"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var trigger = await PayloadAsync(hub, response);
            Assert.Equal("café", trigger.Body.GetProperty("name").GetString());
            Assert.Equal(json, trigger.RawBody);
        }
    }

    // Older business systems send their code page: windows-1252 and the rest were answered 415.
    [Theory, AllDatabases]
    public async Task AcceptPost_JsonInALegacyCharset_IsDecodedByIt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var codePages = System.Text.CodePagesEncodingProvider.Instance;
        var sent = new (string Charset, string Json)[]
        {
            ("windows-1252", """{"name":"Café – 5 €"}"""),
            ("ISO-8859-15", """{"name":"Œuvre 5 €"}"""),
            ("koi8-r", """{"name":"Москва"}"""),
            ("shift_jis", """{"name":"東京"}"""),
        };

        foreach (var (charset, json) in sent)
        {
            var response = await client.PostAsync(
                $"/ExternalData/Accept/{scenario.Id}", RawContent(codePages.GetEncoding(charset)!.GetBytes(json), $"application/json; charset={charset}"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var trigger = await PayloadAsync(hub, response);
            Assert.Equal(json, trigger.RawBody);
        }
    }

    [Fact]
    public async Task AcceptPost_BytesNotValidInALegacyCharset_Return400SayingWhere_AndQueuesNothing()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // 0x81 starts a two-byte character in Shift_JIS, which 0x7F cannot end; replaced, it would store a U+FFFD the
        // sender never sent.
        var response = await client.PostAsync(
            $"/ExternalData/Accept/{scenario.Id}", RawContent([.. "{\"a\":\""u8, 0x81, 0x7F, .. "\"}"u8], "application/json; charset=shift_jis"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid SHIFT_JIS at byte offset 6", (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_ByteOrderMarkAgainstTheOrderItsCharsetNames_Returns400_WhileAMatchingOneIsLeftOut(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        const string json = """{"name":"café"}""";
        var littleEndian16 = new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
        var littleEndian32 = new UTF32Encoding(bigEndian: false, byteOrderMark: true);
        var bigEndian32 = new UTF32Encoding(bigEndian: true, byteOrderMark: true);
        var contradicting = new (string Charset, byte[] Body, string Detail)[]
        {
            // Before: decoded as little-endian, as if the charset had said nothing of the byte order.
            ("utf-16be", [.. littleEndian16.GetPreamble(), .. littleEndian16.GetBytes(json)], "marked UTF-16LE by its byte order mark, while its charset says UTF-16BE"),
            ("utf-16le", [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(json)], "marked UTF-16BE"),
            ("utf-32be", [.. littleEndian32.GetPreamble(), .. littleEndian32.GetBytes(json)], "marked UTF-32LE"),
            ("utf-32le", [.. bigEndian32.GetPreamble(), .. bigEndian32.GetBytes(json)], "marked UTF-32BE"),
        };

        foreach (var (charset, body, detail) in contradicting)
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent(body, $"application/json; charset={charset}"));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ProblemAsync(response);
            Assert.Equal("Invalid text", problem.GetProperty("title").GetString());
            Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));

        var matching = await client.PostAsync(
            $"/ExternalData/Accept/{scenario.Id}",
            RawContent([.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(json)], "application/json; charset=utf-16be"));
        Assert.Equal(HttpStatusCode.OK, matching.StatusCode);
        Assert.Equal(json, (await PayloadAsync(hub, matching)).RawBody);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_CharsetTheHubDoesNotSupport_Returns415NamingIt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // A name nobody defines, one .NET switches off, and EBCDIC, whose "{" and "=" are not ASCII's.
        foreach (var (charset, contentType) in new[] { ("x-made-up", "application/json"), ("utf-7", "application/json"), ("ibm037", "application/x-www-form-urlencoded") })
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent("{}"u8.ToArray(), $"{contentType}; charset={charset}"));

            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Contains(charset, (await ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Fact]
    public async Task AcceptPost_TheWrongContentTypeForTheBody_Gets400SayingWhichToSend_AndQueuesNothing()
    {
        await using var hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var url = $"/ExternalData/Accept/{scenario.Id}";

        // What curl -d '{"id":42}' sends: JSON labelled as a form.
        var jsonAsForm = await client.PostAsync(url, RawContent("""{"customer":"ada","total":12}"""u8.ToArray(), "application/x-www-form-urlencoded"));
        var xmlAsJson = await client.PostAsync(url, RawContent("<order><id>42</id></order>"u8.ToArray(), "application/json"));
        var plainForm = await client.PostAsync(url, RawContent("customer=ada&total=12"u8.ToArray(), "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.BadRequest, jsonAsForm.StatusCode);
        Assert.Contains("send Content-Type: application/json", (await ProblemAsync(jsonAsForm)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, xmlAsJson.StatusCode);
        Assert.Contains("if it is XML, send Content-Type: application/xml", (await ProblemAsync(xmlAsJson)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, plainForm.StatusCode);
        Assert.Single(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_JsonNestedDeeperThan256Levels_Returns400SayingTheLimit_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var url = $"/ExternalData/Accept/{scenario.Id}";

        var tooDeep = await client.PostAsync(url, Json(Nested(HubJson.MaxValueDepth + 1)));
        var objectsTooDeep = await client.PostAsync(url, Json("{\n" + string.Concat(Enumerable.Repeat("\"a\":{", HubJson.MaxValueDepth)) + new string('}', HubJson.MaxValueDepth + 1)));

        Assert.Equal(HttpStatusCode.BadRequest, tooDeep.StatusCode);
        var detail = (await ProblemAsync(tooDeep)).GetProperty("detail").GetString();
        // It said only "not valid JSON at line 1, position 257", as if the JSON were malformed there.
        Assert.Contains("deeper than 256 levels", detail, StringComparison.Ordinal);
        Assert.Contains("line 1, position 257", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, objectsTooDeep.StatusCode);
        var objectsDetail = (await ProblemAsync(objectsTooDeep)).GetProperty("detail").GetString();
        Assert.Contains("deeper than 256 levels", objectsDetail, StringComparison.Ordinal);
        Assert.Contains("line 2, position 1280", objectsDetail, StringComparison.Ordinal);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_JsonNested256Levels_IsAccepted(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", Json(Nested(HubJson.MaxValueDepth)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Nested(HubJson.MaxValueDepth), (await PayloadAsync(hub, response)).RawBody);
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_RepeatedQueryParameter_IsAnArray_WhileASingleOneStaysAString(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}?a=1&a=2&b=1,2&c=&a=3", Json("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var run = await ScenarioTestData.GetRunAsync(hub, RunId(response));
        using var payload = JsonDocument.Parse(run.Payload!);
        var query = payload.RootElement.GetProperty("Query");
        // Joined, ?a=1&a=2 was "1,2", which ?b=1,2 is too; a repeated form field was an array already.
        Assert.Equal(["1", "2", "3"], query.GetProperty("a").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("1,2", query.GetProperty("b").GetString());
        Assert.Equal("", query.GetProperty("c").GetString());
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_CompressedBody_StoresHeadersThatDescribeTheDecodedBody(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var text = "{\"note\":\"" + new string('x', 1_000) + "\"}";
        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        var coded = RawContent(gzipped.ToArray(), "application/json");
        coded.Headers.ContentEncoding.Add("gzip");
        var identity = RawContent(Encoding.UTF8.GetBytes(text), "application/json");
        identity.Headers.ContentEncoding.Add("identity");

        foreach (var content in new[] { coded, identity })
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", content);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var trigger = await PayloadAsync(hub, response);
            Assert.Equal(text, trigger.RawBody);
            // It kept the compressed Content-Length, which no longer matched the body the script gets.
            Assert.Equal(text.Length.ToString(CultureInfo.InvariantCulture), trigger.Headers["Content-Length"]);
            Assert.DoesNotContain(trigger.Headers.Keys, name => name.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_CompressedBodyOverTheLimitOnTheWire_Returns413_WithAndWithoutContentLength(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider, new Dictionary<string, string?> { ["ExternalApi:MaxBodyBytes"] = "1024" });
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        // Empty gzip members decode to nothing: some kilobytes on the wire for 8 bytes of JSON, and with no Content-Length
        // nothing counted the coded bytes, so such a stream could go on for ever.
        byte[] emptyMember = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        using var coded = new MemoryStream();
        for (var i = 0; i < 300; i++)
        {
            coded.Write(emptyMember);
        }
        using (var gzip = new GZipStream(coded, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("""{"id":1}"""u8);
        }
        var sized = RawContent(coded.ToArray(), "application/json");
        sized.Headers.ContentEncoding.Add("gzip");
        var chunked = new StreamContent(new MemoryStream(coded.ToArray()));
        chunked.Headers.ContentType = new("application/json");
        chunked.Headers.ContentEncoding.Add("gzip");
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, $"/ExternalData/Accept/{scenario.Id}") { Content = chunked };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        Assert.True(coded.Length > 1024, "the coded body is over the limit");

        var withLength = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", sized);
        var withoutLength = await client.SendAsync(chunkedRequest);

        foreach (var response in new[] { withLength, withoutLength })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("The request body is larger than 1024 bytes.", (await ProblemAsync(response)).GetProperty("detail").GetString());
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    /// <summary>An array nested <paramref name="depth"/> levels deep, the innermost holding 1.</summary>
    private static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
