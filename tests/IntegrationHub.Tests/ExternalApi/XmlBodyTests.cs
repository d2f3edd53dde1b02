using System.Net;
using System.Text;
using IntegrationHub.Data;
using IntegrationHub.Tests.Infrastructure;
using IntegrationHub.Tests.Runs;
using IntegrationHub.Tests.Scenarios;
using static IntegrationHub.Tests.ExternalApi.ExternalApiTestData;
using static IntegrationHub.Tests.Infrastructure.ProblemAssert;

namespace IntegrationHub.Tests.ExternalApi;

public sealed class XmlBodyTests
{
    [Theory, AllDatabases]
    public async Task AcceptPost_XmlNestedDeeperThan100Levels_Returns400SayingWhere_AndQueuesNothing(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        // 100,000 levels is 700 KB, well within the body limit.
        foreach (var depth in new[] { 101, 1_000, 100_000 })
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent(Nested(depth, ""), Encoding.UTF8, "application/xml"));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await ProblemAsync(response);
            Assert.Equal("Malformed XML", problem.GetProperty("title").GetString());
            // The name of the 101st <a> is at position 302 of the only line.
            Assert.Contains("line 1, position 302", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("100 levels", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_XmlAttributesOrChildrenSharingALocalName_AreNamedAsWritten_AndNoNameComesTwice(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        const string xml = """
            <a x:id="1" id="2" xmlns:x="urn:x">
              <x:item>3</x:item><item>4</item><item>5</item>
              <only x:n="6"/>
              <same x:k="7"/><x:same>8</x:same>
            </a>
            """;

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent(xml, Encoding.UTF8, "application/xml"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var a = (await PayloadAsync(hub, response)).Body.GetProperty("a");
        // Before: "@id" twice (a script saw only one of them) and "item": ["3", "4", "5"] as if one element repeated.
        Assert.Equal(["@x:id", "@id", "x:item", "item", "only", "same", "x:same"], a.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("1", "2"), (a.GetProperty("@x:id").GetString(), a.GetProperty("@id").GetString()));
        Assert.Equal("3", a.GetProperty("x:item").GetString());
        Assert.Equal(["4", "5"], a.GetProperty("item").EnumerateArray().Select(e => e.GetString()));
        // A name nothing else shares stays local.
        Assert.Equal("6", a.GetProperty("only").GetProperty("@n").GetString());
        Assert.Equal("7", a.GetProperty("same").GetProperty("@k").GetString());
        Assert.Equal("8", a.GetProperty("x:same").GetString());
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_XmlWithADtd_Returns400SayingWhereItIs_AndAnErrorWithoutAPlaceNamesNone(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        const string dtd = "<?xml version=\"1.0\"?>\r\n<!-- <!DOCTYPE in a comment> -->\n  <!DOCTYPE r [ <!ENTITY x \"y\"> ]>\n<r>&x;</r>";

        var refused = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent(dtd, Encoding.UTF8, "application/xml"));
        var noRoot = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent("<!-- no element -->", Encoding.UTF8, "application/xml"));

        // Before: "at line 0, position 0" for both.
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var detail = (await ProblemAsync(refused)).GetProperty("detail").GetString();
        Assert.Contains("at line 3, position 3", detail, StringComparison.Ordinal);
        Assert.Contains("DTD", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noRoot.StatusCode);
        var noRootProblem = await ProblemAsync(noRoot);
        Assert.Equal("Malformed XML", noRootProblem.GetProperty("title").GetString());
        Assert.DoesNotContain("line 0", noRootProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_XmlNested100Levels_IsAcceptedWithItsInnermostText(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();

        var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", new StringContent(Nested(100, "bottom"), Encoding.UTF8, "text/xml"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var level = (await PayloadAsync(hub, response)).Body;
        for (var i = 0; i < 100; i++)
        {
            level = level.GetProperty("a");
        }
        Assert.Equal("bottom", level.GetString());
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_XmlIsDecodedByTheCharsetParameter_ElseByItsDeclaration_AndRawBodyIsTheDecodedText(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        const string xml = """<?xml version="1.0" encoding="iso-8859-1"?><name>café</name>""";
        var windows1252 = xml.Replace("iso-8859-1", "windows-1252", StringComparison.Ordinal);
        // RFC 7303: a proxy may transcode a document and say so in the charset parameter, leaving the declaration behind.
        var sent = new (byte[] Body, string ContentType, string Text)[]
        {
            (Encoding.Latin1.GetBytes(xml), "application/xml", xml),
            (Encoding.UTF8.GetBytes(xml), "text/xml; charset=utf-8", xml),
            // A legacy code page, declared: what older ERP systems write ("é" is the same byte as in Latin-1).
            (Encoding.Latin1.GetBytes(windows1252), "application/xml", windows1252),
        };

        foreach (var (body, contentType, text) in sent)
        {
            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent(body, contentType));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var trigger = await PayloadAsync(hub, response);
            Assert.Equal("café", trigger.Body.GetProperty("name").GetString());
            Assert.Equal(text, trigger.RawBody);
        }
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_XmlWithAByteOrderMark_IsDecodedByIt_AndRawBodyLeavesItOut(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        const string xml = "<name>café</name>";

        foreach (var encoding in new Encoding[] { new UTF8Encoding(true), new UnicodeEncoding(bigEndian: false, byteOrderMark: true), new UnicodeEncoding(bigEndian: true, byteOrderMark: true) })
        {
            var bytes = encoding.GetPreamble().Concat(encoding.GetBytes(xml)).ToArray();

            var response = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent(bytes, "application/xml"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var trigger = await PayloadAsync(hub, response);
            Assert.Equal("café", trigger.Body.GetProperty("name").GetString());
            Assert.Equal(xml, trigger.RawBody);
        }
    }

    [Theory, AllDatabases]
    public async Task AcceptPost_XmlInAnEncodingTheHubDoesNotSupport_Returns415NamingIt(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await ScenarioTestData.CreateScenarioAsync(hub);
        using var client = hub.CreateAdminClient();
        var declared = Encoding.ASCII.GetBytes("""<?xml version="1.0" encoding="x-made-up"?><name>cafe</name>""");

        var byDeclaration = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent(declared, "application/xml"));
        var byCharset = await client.PostAsync($"/ExternalData/Accept/{scenario.Id}", RawContent("<a/>"u8.ToArray(), "application/xml; charset=ibm037"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, byDeclaration.StatusCode);
        Assert.Contains("x-made-up", (await ProblemAsync(byDeclaration)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, byCharset.StatusCode);
        Assert.Contains("ibm037", (await ProblemAsync(byCharset)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await RunsTestData.GetRunsAsync(hub, scenario.Id));
    }

    private static string Nested(int depth, string innermost) =>
        new StringBuilder(depth * 7 + innermost.Length).Insert(0, "<a>", depth).Append(innermost).Insert(depth * 3 + innermost.Length, "</a>", depth).ToString();
}
