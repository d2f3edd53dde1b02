using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Identity;
using IntegrationHub.Runs;
using IntegrationHub.Scenarios;
using IntegrationHub.Scripting;
using IntegrationHub.Storage;
using IntegrationHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tests.Scripting;

/// <summary>One hub shared by the tests that need no stored data; each test uses its own scenario id.</summary>
public sealed class SandboxHubFixture : IAsyncLifetime
{
    /// <summary>Small limits, so each one bites quickly.</summary>
    internal static readonly ScriptingOptions SmallLimits = new()
    {
        MaxStatements = 100_000,
        MemoryLimitBytes = 32 << 20,
        RecursionLimit = 50,
        MaxLogLines = 5,
    };

    internal HubHost Hub { get; private set; } = null!;

    /// <summary>A sandbox with its own limits over the hub's storage.</summary>
    internal ScriptSandbox Sandbox(ScriptingOptions? limits = null) => new(
        Options.Create(limits ?? SmallLimits),
        Hub.Services.GetRequiredService<ScenarioStorage>(),
        TimeProvider.System,
        NullLogger<ScriptSandbox>.Instance);

    public async Task InitializeAsync() => Hub = await HubHost.StartAsync(DatabaseProvider.Sqlite);

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

public sealed class ScriptSandboxTests(SandboxHubFixture fixture) : IClassFixture<SandboxHubFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(1);

    /// <summary>A script deeper than Jint prepares; "thousands" deep enough that the parser itself runs out of stack.</summary>
    internal static string DeepScript(string shape) => shape switch
    {
        "sum" => "return " + string.Concat(Enumerable.Repeat("data.length + ", 300)) + "1;",
        "brackets" => "return " + new string('[', 300) + new string(']', 300) + ";",
        "nots" => "return " + new string('!', 300) + "data;",
        "objects" => "return " + string.Concat(Enumerable.Repeat("{ a: ", 300)) + "1" + new string('}', 300) + ";",
        "thousands" => "return " + new string('[', 100_000) + new string(']', 100_000) + ";",
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    [Fact]
    public void Execute_ReturnedArray_BecomesTheRecords()
    {
        var result = Execute("return data.map(o => ({ id: o.id, total: o.price * o.qty }));", """[{"id":1,"price":2,"qty":3},{"id":2,"price":5,"qty":1}]""");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(2, result.RecordCount);
        Assert.Equal("""[{"id":1,"total":6},{"id":2,"total":5}]""", result.RecordsJson);
    }

    [Fact]
    public void Execute_NoReturn_PassesDataAsChangedInPlace()
    {
        var result = Execute("data.push({ id: 3 });\ndata[0].seen = true;", """[{"id":1}]""");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal("""[{"id":1,"seen":true},{"id":3}]""", result.RecordsJson);
    }

    [Fact]
    public void Execute_DataReassignedWithoutReturn_PassesTheNewData()
    {
        var result = Execute("data = data.filter(o => o.keep)", """[{"keep":true},{"keep":false}]""");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal("""[{"keep":true}]""", result.RecordsJson);
    }

    [Theory]
    [InlineData("const data = [];", "[]")]
    [InlineData("let data = [{ x: 1 }];", """[{"x":1}]""")]
    public void Execute_OwnTopLevelDataWithoutReturn_PassesTheScriptsData(string script, string expected)
    {
        var result = Execute(script, """[{"id":1},{"id":2}]""");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(expected, result.RecordsJson);
    }

    [Fact]
    public void Execute_ReturnedProxyOfAnArray_BecomesTheRecords()
    {
        var result = Execute("return new Proxy([{ id: 1 }, { id: 2 }], {});");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(2, result.RecordCount);
        Assert.Equal("""[{"id":1},{"id":2}]""", result.RecordsJson);
    }

    [Fact]
    public void Execute_StorageGetOrDeleteOfAKeyNoEntryCanHave_FindsNothing()
    {
        var result = Execute("let k = 1;\nfor (let i = 0; i < 300; i++) { k = [k]; }\nreturn [storage.get(k) === undefined, storage.delete(k), storage.get('\\ud800') === undefined];");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal("[true,false,true]", result.RecordsJson);
    }

    [Fact]
    public void Execute_ArrayIsArrayReplacedByTheScript_DoesNotChangeWhatItsRecordsAre()
    {
        var result = Execute("Array.isArray = () => false;\nreturn [{ id: 1 }, { id: 2 }];");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(2, result.RecordCount);
        Assert.Equal("""[{"id":1},{"id":2}]""", result.RecordsJson);
    }

    [Theory]
    // An array's toJSON decides its JSON: the records are what that JSON holds, as the targets get them.
    [InlineData("Array.prototype.toJSON = function () { return [...this, ...this]; };\nreturn [{ id: 1 }, { id: 2 }];", """[{"id":1},{"id":2},{"id":1},{"id":2}]""", 4)]
    [InlineData("Array.prototype.toJSON = function () { return 'x'; };\nreturn [{ a: 1 }];", """["x"]""", 1)]
    public void Execute_RecordsAreCountedAsTheirJsonHoldsThem(string script, string expectedJson, int expectedCount)
    {
        var result = Execute(script);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(expectedJson, result.RecordsJson);
        Assert.Equal(expectedCount, result.RecordCount);
    }

    [Theory]
    [InlineData("return data.map(o => { if (o.paid) return o; });", 1)]
    [InlineData("return [{ id: 1 }, , { id: 3 }];", 1)]
    [InlineData("return [{ id: 1 }, () => 1];", 1)]
    [InlineData("Array.isArray = () => false;\nreturn [undefined, { id: 1 }];", 0)]
    public void Execute_RecordsWithoutJsonForm_FailTheRun_NotPassedOnAsNull(string script, int index)
    {
        var result = Execute(script, """[{"paid":true},{"paid":false}]""");

        Assert.Equal(ScriptErrorKind.InvalidData, result.Error?.Kind);
        Assert.Contains($"at index {index}", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_ReturnedBigInt_SaysTheRecordsHaveNoJson()
    {
        var result = Execute("const n = 1;\nreturn [{ total: 5n }];");

        Assert.Equal(ScriptErrorKind.InvalidData, result.Error?.Kind);
        Assert.StartsWith("The script's records cannot be turned into JSON: TypeError:", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("BigInt", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_AtomicsWait_IsNotThere_ItWouldBlockPastEveryLimit()
    {
        // A finite wait, so that a sandbox with Atomics fails this test instead of hanging it.
        var result = Execute("const b = new Int32Array(new SharedArrayBuffer(4));\nAtomics.wait(b, 0, 0, 3000);", timeout: TimeSpan.FromSeconds(1));

        Assert.Equal(ScriptErrorKind.Runtime, result.Error?.Kind);
        Assert.StartsWith("ReferenceError: SharedArrayBuffer is not defined", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_DynamicImport_RejectsWithATypeErrorTheScriptCanCatch()
    {
        var result = Execute("return import('fs').then(() => 'loaded', e => `${e.name}: ${e.message}`);");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.StartsWith("""["TypeError: Cannot import 'fs'""", result.RecordsJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_AHugeThrownMessage_IsCutInTheRunsError()
    {
        var result = Execute("throw new Error('m'.repeat(100000));");

        Assert.InRange(result.Error!.Message.Length, 4_096, 4_200);
        Assert.StartsWith("Error: mmm", result.Error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(cut at 4,096 characters)", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_AnErrorThrownAgainFromACatch_IsPlacedWhereItHappened()
    {
        var result = Execute("try {\n  null.x;\n} catch (err) {\n  throw err;\n}");

        Assert.StartsWith("TypeError", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    [Fact]
    public void Execute_ReturnedObject_BecomesOneRecord()
    {
        var result = Execute("return { count: data.length };", "[1,2,3]");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(1, result.RecordCount);
        Assert.Equal("""[{"count":3}]""", result.RecordsJson);
    }

    [Fact]
    public void Execute_ReturnedFunction_FailsAsNotJson()
    {
        var result = Execute("return () => 1;");

        Assert.Equal(ScriptErrorKind.InvalidData, result.Error?.Kind);
        Assert.StartsWith("The script returned a function, which has no JSON form", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_DataLeftUndefined_SaysSo_NotThatAFunctionWasReturned()
    {
        var result = Execute("data = undefined;");

        Assert.Equal(ScriptErrorKind.InvalidData, result.Error?.Kind);
        Assert.StartsWith("The script returned nothing and left data undefined", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_LoggingAnErrorWhoseNameThrows_LogsAPlaceholder_AndTheRunGoesOn()
    {
        var result = Execute("const e = new Error('x');\nObject.defineProperty(e, 'name', { get() { throw new Error('no'); } });\nlog.info(e);\nreturn [1];");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal("[an error that cannot be shown]", Assert.Single(result.Log).Message);
    }

    [Fact]
    public void Execute_SyntaxError_FailsWithLineAndColumn()
    {
        var result = Execute("let total = 0;\nfor (const o of data) {\n  total += ;\n}");

        Assert.False(result.Succeeded);
        Assert.Equal(ScriptErrorKind.Syntax, result.Error!.Kind);
        Assert.Equal(3, result.Error.Line);
        Assert.Equal(12, result.Error.Column);
        Assert.False(result.Error.Retryable);
    }

    // A script saved before the save checked its depth: its run fails as a script error, and the worker goes on.
    [Theory]
    [InlineData("sum")]
    [InlineData("thousands")]
    public void Execute_NestedTooDeep_FailsTheRunWithoutRetry(string shape)
    {
        var result = Execute(DeepScript(shape));

        Assert.Equal(ScriptErrorKind.Syntax, result.Error!.Kind);
        Assert.Contains("nests more than 256 levels", result.Error.Message, StringComparison.Ordinal);
        Assert.False(result.Error.Retryable);
    }

    [Fact]
    public void Execute_UnclosedBlock_PointsIntoTheUsersText()
    {
        var result = Execute("if (data.length) {\n  return data;");

        Assert.Equal(ScriptErrorKind.Syntax, result.Error!.Kind);
        Assert.InRange(result.Error.Line!.Value, 1, 2);
    }

    [Fact]
    public void Execute_RuntimeError_ReportsErrorNameLineAndColumn()
    {
        var result = Execute("const a = 1;\n  missing.call();");

        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
        Assert.StartsWith("ReferenceError: missing is not defined", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
        Assert.Equal(3, result.Error.Column);
        Assert.False(result.Error.Retryable);
    }

    [Fact]
    public void Execute_ThrownError_KeepsItsMessageAndPosition()
    {
        var result = Execute("\n\n    throw new Error('order has no id');");

        Assert.StartsWith("Error: order has no id", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(3, result.Error.Line);
        Assert.Equal(11, result.Error.Column);
    }

    [Fact]
    public void Execute_EndlessLoop_FailsAsTimedOutAtTheLoop()
    {
        // Statements unbounded so that the clock, not the statement count, stops the loop.
        var sandbox = fixture.Sandbox(new ScriptingOptions { MaxStatements = int.MaxValue });

        var result = sandbox.Execute(Invocation("let n = 0;\nwhile (true) { }", timeout: TimeSpan.FromSeconds(1)), CancellationToken.None);

        Assert.Equal(ScriptErrorKind.Timeout, result.Error!.Kind);
        Assert.Contains("timeout of 1 s", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    [Fact]
    public async Task ExecuteAsync_PastMaxConcurrentScripts_AScriptWaitsForATurn_WithinItsTimeout()
    {
        var sandbox = fixture.Sandbox(new ScriptingOptions { MaxStatements = int.MaxValue, MaxConcurrentScripts = 1 });

        // The one turn is held by an endless script until the test cancels it, so the second script's wait cannot
        // outlast it however slowly this machine runs; the third comes after the first was stopped.
        using var stopFirst = new CancellationTokenSource();
        var busy = Task.Run(() => sandbox.ExecuteAsync(Invocation("while (true) { }"), stopFirst.Token));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (sandbox.FreeTurns > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.Equal(0, sandbox.FreeTurns);
        var waiting = await sandbox.ExecuteAsync(Invocation("return [1];", timeout: TimeSpan.FromSeconds(1)), CancellationToken.None);
        await stopFirst.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => busy);
        var after = await sandbox.ExecuteAsync(Invocation("return [1];"), CancellationToken.None);

        Assert.Equal(ScriptErrorKind.NoTurn, waiting.Error!.Kind);
        Assert.True(waiting.Error.Retryable);
        Assert.Contains("for a turn while other scripts ran (Scripting:MaxConcurrentScripts)", waiting.Error.Message, StringComparison.Ordinal);
        Assert.Equal("[1]", after.RecordsJson);
    }

    [Fact]
    public void Execute_MemoryBomb_FailsWithTheMemoryLimit()
    {
        // 200 KB held per turn: past the 32 MiB limit in some hundred statements, far from the statement limit however
        // long the collections beside it take to tell what it holds.
        var result = Execute("const hoard = [];\nwhile (true) { hoard.push('x'.repeat(100000) + hoard.length); }");

        Assert.Equal(ScriptErrorKind.MemoryLimit, result.Error!.Kind);
        Assert.Contains("Scripting:MemoryLimitBytes", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    [Fact]
    public void Execute_LongRunOnShortLivedValues_IsNotStoppedByTheMemoryLimit()
    {
        // Allocates ten times the 32 MiB limit over the run while holding next to nothing.
        var result = Execute("let n = 0;\nfor (let i = 0; i < 20000; i++) { n += ('x'.repeat(4000) + i).length; }\nreturn [n > 0];");

        Assert.True(result.Succeeded, result.Error?.Message);
    }

    [Fact]
    public void Execute_HugeArrayInOneStatement_FailsWithTheMemoryLimit()
    {
        var result = Execute("return new Array(1e9).fill(0);");

        Assert.Equal(ScriptErrorKind.MemoryLimit, result.Error!.Kind);
    }

    [Fact]
    public void Execute_TooManyStatements_FailsWithTheStatementLimit()
    {
        var result = Execute("let n = 0;\nfor (let i = 0; i < 1e7; i++) {\n  n++;\n}\nreturn [n];");

        Assert.Equal(ScriptErrorKind.StatementLimit, result.Error!.Kind);
        Assert.Contains("100,000 statements", result.Error.Message, StringComparison.Ordinal);
        Assert.NotNull(result.Error.Line);
    }

    [Fact]
    public void Execute_DeepRecursion_FailsWithTheRecursionLimit()
    {
        var result = Execute("function down(n) {\n  return down(n + 1);\n}\nreturn [down(0)];");

        Assert.Equal(ScriptErrorKind.RecursionLimit, result.Error!.Kind);
        Assert.Contains("down", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    [Fact]
    public void Execute_DeeplyNestedValue_FailsTheRunNotTheProcess()
    {
        var result = Execute("let o = {};\nfor (let i = 0; i < 20000; i++) { o = { o }; }\nreturn [JSON.stringify(o).length];");

        Assert.False(result.Succeeded);
        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
    }

    [Fact]
    public void Execute_RecordsNestedDeeperThanAValueMay_FailAsInvalidData()
    {
        var result = Execute("let v = 1;\nfor (let i = 0; i < 300; i++) { v = [v]; }\nreturn [v];");

        Assert.Equal(ScriptErrorKind.InvalidData, result.Error!.Kind);
        Assert.Contains("nests deeper than 258 levels", result.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("storage.set('k', '\\ud800');", "not valid Unicode")]
    [InlineData("storage.set({ id: '\\udc00' }, 1);", "not valid Unicode")]
    [InlineData("storage.set(NaN, 1);", "must be a JSON value, not NaN")]
    [InlineData("storage.set(parseInt('x') / 0 || -Infinity, 1);", "must be a JSON value, not -Infinity")]
    [InlineData("storage.set([NaN], 1);", "must be a JSON value, and it holds NaN, which JSON would write as null")]
    [InlineData("storage.set({ x: Infinity }, 1);", "must be a JSON value, and it holds Infinity, which JSON would write as null")]
    [InlineData("let v = 1;\nfor (let i = 0; i < 300; i++) { v = [v]; }\nstorage.set('k', v);", "nests deeper than 256 levels")]
    [InlineData("storage.set('x'.repeat(1100), 1);", "at most 1,024 bytes of JSON")]
    [InlineData("storage.set('\u00e9'.repeat(200), 1);", "at most 1,024 bytes of JSON")]
    public void Execute_StorageSetOfWhatNoKeyCanHold_FailsAtTheCall(string script, string reason)
    {
        var result = Execute("const before = 1;\n" + script);

        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
        Assert.StartsWith("TypeError: storage.set:", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, result.Error.Message, StringComparison.Ordinal);
        Assert.NotNull(result.Error.Line);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("NaN")]
    [InlineData("1e20")]
    [InlineData("'60'")]
    public void Execute_StorageSetWithATimeToLiveOutOfRange_FailsAtTheCallSayingTheRange(string ttl)
    {
        var result = Execute($"const ok = 1;\nstorage.set('k', 1, {{ ttlSeconds: {ttl} }});");

        Assert.StartsWith("TypeError: storage.set: ttlSeconds must be a number of seconds above 0 and at most 315,360,000", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    [Fact]
    public void Execute_StorageSetOfAValueOverMaxValueBytes_FailsAtTheCall()
    {
        var invocation = Invocation("const fits = 'x'.repeat(1000);\nstorage.set('a', fits);\nstorage.set('b', fits + fits);") with
        {
            Storage = new StorageChanges(maxKeys: 10, maxValueBytes: 1024),
        };

        var result = fixture.Sandbox().Execute(invocation, CancellationToken.None);

        Assert.Contains("Storage:MaxValueBytes", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(3, result.Error.Line);
    }

    [Fact]
    public void Execute_ValuesWhoseJsonIsFarLargerThanTheScriptsMemory_AreCut_OrFailTheRunAtTheCall()
    {
        // One 1 MiB string, referenced 64 times: 64 MiB of JSON from 1 MiB the script holds (32 MiB allowed). Written
        // whole, a log line or a stored value of such a thing took gigabytes of the hub's memory.
        var big = "const s = 'x'.repeat(1 << 20);\nconst many = new Array(64).fill(s);\n";

        var logged = Execute(big + "log.info(many, ...many);\nreturn [];");
        var stored = Execute(big + "storage.set('k', many);");
        var returned = Execute(big + "return many;");

        Assert.True(logged.Succeeded, logged.Error?.Message);
        Assert.EndsWith("… (cut)", Assert.Single(logged.Log).Message, StringComparison.Ordinal);
        Assert.StartsWith("[\"xxxx", logged.Log[0].Message, StringComparison.Ordinal);
        Assert.Contains("Storage:MaxValueBytes", stored.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(3, stored.Error.Line);
        Assert.Equal(ScriptErrorKind.MemoryLimit, returned.Error!.Kind);
        Assert.Contains("Scripting:MemoryLimitBytes", returned.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("throw { get name() { throw new Error('inner'); }, message: 'x' };")]
    [InlineData("throw { get name() { while (true) {} }, message: 'x' };")]
    public void Execute_ThrownObjectWhoseNameRunsCode_FailsTheRunAsTheScriptsOwnError(string script)
    {
        var result = Execute(script);

        // It escaped the sandbox as the hub's own fault, and the run was retried.
        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
        Assert.False(result.Error.Retryable);
        Assert.Equal(1, result.Error.Line);
    }

    [Fact]
    public void Execute_ThrownPlainObject_IsShownAsWhatWasThrown()
    {
        var result = Execute("const code = 42;\nthrow { code, reason: 'no stock' };");

        Assert.StartsWith("""Uncaught {"code":42,"reason":"no stock"}""", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_StorageDeleteOfAMissingKey_IsNoChange()
    {
        var invocation = Invocation("storage.delete('never stored');\nstorage.set('a', 1);\nreturn [];") with { Storage = new StorageChanges(maxKeys: 1) };

        var result = fixture.Sandbox().Execute(invocation, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(["\"a\""], invocation.Storage.Changes.Select(c => c.Key));
    }

    [Fact]
    public void Execute_ConsoleLogOfABigIntOrAnObjectWithACycle_LogsThemReadably()
    {
        var result = Execute("const o = { name: 'order' };\no.self = o;\nconst shared = { id: 1 };\no.lines = [shared, shared, { parent: o }];\nconsole.log(10n);\nconsole.log(o);\nreturn [];");

        Assert.True(result.Succeeded, result.Error?.Message);
        // An object met twice side by side is no cycle; only the way back to an object on its own path is marked.
        Assert.Equal(["10n", """{"name":"order","self":"[Circular]","lines":[{"id":1},{"id":1},{"parent":"[Circular]"}]}"""], result.Log.Select(l => l.Message));
    }

    [Fact]
    public void Execute_AsyncScript_PassesOnWhatItsPromiseResolvesTo()
    {
        var result = Execute("return (async () => {\n  const ids = await Promise.resolve([1, 2]);\n  return ids.map(id => ({ id }));\n})();");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal("""[{"id":1},{"id":2}]""", result.RecordsJson);
    }

    [Fact]
    public void Execute_RejectedPromise_FailsWithItsReason()
    {
        var result = Execute("return Promise.reject(new Error('the upstream said no'));");

        Assert.False(result.Succeeded);
        Assert.Contains("the upstream said no", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_RejectedWithAPlainObject_ShowsItAsJson()
    {
        var result = Execute("return Promise.reject({ code: 42 });");

        Assert.False(result.Succeeded);
        Assert.StartsWith("""Uncaught (in promise) {"code":42}""", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_AsyncFunctionThatThrows_FailsWhereItsErrorWasMade()
    {
        var result = Execute("async function g() {\n  throw new TypeError('async bad');\n}\nreturn g();");

        Assert.False(result.Succeeded);
        Assert.StartsWith("TypeError: async bad", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal((2, 9), (result.Error.Line, result.Error.Column));
    }

    [Theory]
    [InlineData("async function w() { storage.set('w', 1); throw new Error('unobserved'); }\nw();\nreturn [{ a: 2 }];")]
    [InlineData("Promise.resolve().then(() => { throw new Error('unobserved'); });\nreturn [{ a: 1 }];")]
    public void Execute_PromiseRejectedWithoutAnyoneWaiting_FailsTheRun(string script)
    {
        var result = Execute(script);

        Assert.False(result.Succeeded);
        Assert.Contains("Error: unobserved", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("did not await", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_RejectionHandledLater_IsNoFailure()
    {
        var result = Execute("const p = Promise.reject(new Error('handled'));\nreturn (async () => { try { await p; } catch { } return [{ ok: true }]; })();");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal("""[{"ok":true}]""", result.RecordsJson);
    }

    [Fact]
    public void Execute_EngineErrorWithoutAMessage_ShowsItsNameAndPosition()
    {
        var result = Execute("Object.freeze(data);\ndata.push(1);");

        Assert.Equal("TypeError (line 2, column 1).", result.Error!.Message);
    }

    [Fact]
    public void Execute_PromiseThatNeverSettles_FailsAtTheTimeout()
    {
        var result = Execute("return new Promise(() => {});", timeout: TimeSpan.FromSeconds(1));

        Assert.Equal(ScriptErrorKind.Timeout, result.Error!.Kind);
    }

    [Fact]
    public void Execute_AfterAFailedScript_TheNextScriptRuns()
    {
        Execute("while (true) { }", timeout: TimeSpan.FromMilliseconds(300));

        var result = Execute("return [1];");

        Assert.True(result.Succeeded, result.Error?.Message);
    }

    [Fact]
    public void Execute_DotNetNetworkAndEval_AreOutOfReach()
    {
        var result = Execute("return [typeof System, typeof importNamespace, typeof require, typeof process, typeof fetch, typeof XMLHttpRequest, typeof WebSocket];");
        var evalResult = Execute("return [eval('1 + 1')];");

        Assert.Equal("""["undefined","undefined","undefined","undefined","undefined","undefined","undefined"]""", result.RecordsJson);
        Assert.Equal(ScriptErrorKind.Runtime, evalResult.Error?.Kind);
    }

    [Fact]
    public void Execute_LogHelpers_WriteTheRunLog()
    {
        var result = Execute("log.info('got', data.length, 'records');\nlog.warn({ a: 1 });\nlog.error(new TypeError('bad'));\nconsole.log('done', [1, 'two']);", "[1,2]");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(
            [("info", "got 2 records"), ("warn", """{"a":1}"""), ("error", "TypeError: bad"), ("info", """done [1,"two"]""")],
            result.Log.Select(l => (l.Level, l.Message)));
    }

    [Fact]
    public void Execute_LogLinesPastTheLimit_AreDroppedWithOneWarning()
    {
        var result = Execute("for (let i = 0; i < 100; i++) console.log('line', i);\nreturn [];");

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(6, result.Log.Count);
        Assert.Equal("line 4", result.Log[4].Message);
        Assert.Contains("Scripting:MaxLogLines", result.Log[5].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_FailedScript_KeepsTheLinesLoggedBeforeTheFailure()
    {
        var result = Execute("log.info('before');\nnull.x;");

        Assert.False(result.Succeeded);
        Assert.Equal("before", Assert.Single(result.Log).Message);
    }

    [Fact]
    public void Execute_RunInfo_IsVisibleToTheScript()
    {
        var invocation = Invocation("return [run];") with { Trigger = TriggerKind.ExternalGet };

        var result = fixture.Sandbox().Execute(invocation, CancellationToken.None);

        using var document = JsonDocument.Parse(result.RecordsJson!);
        var run = document.RootElement[0];
        Assert.Equal(invocation.RunId.ToString(), run.GetProperty("id").GetString());
        Assert.Equal("ExternalGet", run.GetProperty("trigger").GetString());
        Assert.Equal(invocation.ScenarioId.ToString(), run.GetProperty("scenarioId").GetString());
    }

    [Fact]
    public void Execute_CallerCancels_ThrowsInsteadOfReportingAFailure()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var sandbox = fixture.Sandbox(new ScriptingOptions { MaxStatements = int.MaxValue });

        Assert.ThrowsAny<OperationCanceledException>(() => sandbox.Execute(Invocation("while (true) { }"), cancellation.Token));
    }

    [Fact]
    public void Execute_NewScenarioVersion_RunsTheNewScript()
    {
        var first = Invocation("return [1];");
        var second = first with { ScenarioVersion = 2, Script = "return [2];" };

        Assert.Equal("[1]", fixture.Sandbox().Execute(first, CancellationToken.None).RecordsJson);
        Assert.Equal("[2]", fixture.Sandbox().Execute(second, CancellationToken.None).RecordsJson);
        Assert.Equal("[1]", fixture.Sandbox().Execute(first, CancellationToken.None).RecordsJson);
    }

    [Theory, AllDatabases]
    public async Task Execute_StorageHelpers_ReadTheirOwnWritesAndLeaveTheStoredEntriesToTheRunsCommit(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await CreateScenarioAsync(hub);
        var storage = hub.Services.GetRequiredService<ScenarioStorage>();
        await storage.SetAsync(scenario.WorkspaceId, scenario.Id, "\"stored\"", "1", null, CancellationToken.None);
        var script = """
            const before = storage.get('stored');
            storage.set({ b: 2, a: 1 }, { total: 10 });
            storage.set('temp', [1, 2]);
            storage.set('short', true, { ttlSeconds: 3600 });
            const read = storage.get({ a: 1, b: 2 });
            const missing = storage.get('nothing');
            const deleted = storage.delete('temp');
            const deletedAgain = storage.delete('temp');
            const deletedStored = storage.delete('stored');
            return [{ before, read, missingIsUndefined: missing === undefined, deleted, deletedAgain, deletedStored, after: storage.get('stored') ?? null }];
            """;
        var invocation = Invocation(script) with { ScenarioId = scenario.Id };

        var result = hub.Services.GetRequiredService<ScriptSandbox>().Execute(invocation, CancellationToken.None);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(
            """[{"before":1,"read":{"total":10},"missingIsUndefined":true,"deleted":true,"deletedAgain":false,"deletedStored":true,"after":null}]""",
            result.RecordsJson);
        // Nothing is written yet: the changes wait for the run's outcome, in the order the script first made them.
        Assert.Equal("1", await storage.GetAsync(scenario.Id, "\"stored\"", CancellationToken.None));
        Assert.Null(await storage.GetAsync(scenario.Id, """{"a":1,"b":2}""", CancellationToken.None));
        var changes = invocation.Storage.Changes.ToList();
        Assert.Equal(["""{"a":1,"b":2}""", "\"temp\"", "\"short\"", "\"stored\""], changes.Select(c => c.Key));
        Assert.Equal(["""{"total":10}""", null, "true", null], changes.Select(c => c.ValueJson));
        Assert.NotNull(changes[2].ExpiresAt);
    }

    [Fact]
    public void Execute_StorageWritesPastTheRunsLimit_FailAtTheCall()
    {
        var invocation = Invocation("for (let i = 0; i < 3; i++) {\n  storage.set(i, i);\n}") with { Storage = new StorageChanges(maxKeys: 2) };

        var result = fixture.Sandbox().Execute(invocation, CancellationToken.None);

        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
        Assert.Contains("at most 2 storage keys", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    [Theory, AllDatabases]
    public async Task Execute_StorageSetWithoutValue_FailsWithATypeErrorAtTheCall(DatabaseProvider provider)
    {
        await using var hub = await HubHost.StartAsync(provider);
        var scenario = await CreateScenarioAsync(hub);
        var sandbox = hub.Services.GetRequiredService<ScriptSandbox>();

        var result = sandbox.Execute(Invocation("const k = 'a';\nstorage.set(k);") with { ScenarioId = scenario.Id }, CancellationToken.None);

        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
        Assert.StartsWith("TypeError: storage.set: the value must be a JSON value", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Line);
    }

    internal static async Task<Scenario> CreateScenarioAsync(HubHost hub, Action<Scenario>? configure = null)
    {
        var factory = hub.Services.GetRequiredService<IDbContextFactory<HubDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var workspace = new Workspace { Name = "Scripts " + Guid.NewGuid().ToString("N")[..8] };
        var scenario = new Scenario { Name = "Script test", WorkspaceId = workspace.Id };
        configure?.Invoke(scenario);
        db.Workspaces.Add(workspace);
        db.Scenarios.Add(scenario);
        await db.SaveChangesAsync();
        return scenario;
    }

    private ScriptResult Execute(string script, string dataJson = "[]", TimeSpan? timeout = null) =>
        fixture.Sandbox().Execute(Invocation(script, dataJson, timeout), CancellationToken.None);

    private static ScriptInvocation Invocation(string script, string dataJson = "[]", TimeSpan? timeout = null) =>
        new(Guid.NewGuid(), 1, script, Guid.NewGuid(), TriggerKind.Manual, dataJson, timeout ?? Generous, new StorageChanges(maxKeys: 100));
}
