using System.Globalization;
using System.Text;
using System.Text.Json;
using Judge.Data;

namespace Judge.Statistics.Bias;

/// <summary>
/// The per-instruction difficulty vector AlpacaEval 2's length control takes as a frozen feature:
/// estimated once from a reference panel of models, written to a file, and reused for every model
/// evaluated later, so that no model's LC rate depends on which other models are in its file.
/// The file is JSONL, one <c>{"instruction": ID, "difficulty": NUMBER}</c> per line. Pure and
/// thread-safe.
/// </summary>
public static class InstructionDifficulty
{
    /// <summary>
    /// Estimates the difficulties from a panel's comparisons with the baseline by one joint
    /// L2-penalised logistic regression: logit P(m beats the baseline on q) = θₘ + γₘ·tanh(Δ/sdₘ) − d_q,
    /// with a free level θₘ and length slope γₘ per model (penalty <paramref name="coefficientPenalty"/>),
    /// Δ the baseline's minus the model's length and sdₘ over the model's rows, and d_q under penalty
    /// <paramref name="difficultyPenalty"/> (a normal prior, so an instruction seen by few models is
    /// shrunk towards the average). The difficulties are returned centred on mean 0: a positive
    /// difficulty means the panel beat the baseline less often there than their level and lengths predict.
    /// </summary>
    /// <exception cref="ArgumentException">No rows, or a preference outside [0, 1].</exception>
    public static IReadOnlyDictionary<string, double> Estimate(IReadOnlyList<LengthControlRow> rows, double difficultyPenalty = 1, double coefficientPenalty = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("no comparisons to estimate difficulties from", nameof(rows));
        }

        var models = rows.Select(r => r.Model).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var instructions = rows.Select(r => r.Instruction).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var modelIndex = models.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i, StringComparer.Ordinal);
        var instructionIndex = instructions.Select((q, i) => (q, i)).ToDictionary(x => x.q, x => x.i, StringComparer.Ordinal);
        var scale = models.ToDictionary(m => m, m => JointLengthControl.StandardDeviation(rows.Where(r => r.Model == m).Select(r => r.BaselineLength - r.ModelLength)), StringComparer.Ordinal);
        var k = models.Length;
        var columns = (2 * k) + instructions.Length;

        // Canonical row order, so the estimate does not depend on the order of the input.
        var ordered = rows.OrderBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Instruction, StringComparer.Ordinal).ThenBy(r => r.ModelLength).ThenBy(r => r.BaselineLength).ThenBy(r => r.Preference).ToArray();
        var x = new double[ordered.Length][];
        var y = new double[ordered.Length];
        for (var i = 0; i < ordered.Length; i++)
        {
            var r = ordered[i];
            var m = modelIndex[r.Model];
            var s = scale[r.Model];
            var v = new double[columns];
            v[m] = 1;
            v[k + m] = s > 0 ? Math.Tanh((r.BaselineLength - r.ModelLength) / s) : 0;
            v[(2 * k) + instructionIndex[r.Instruction]] = -1;
            x[i] = v;
            y[i] = r.Preference;
        }

        var penalties = new double[columns];
        for (var j = 0; j < columns; j++)
        {
            penalties[j] = j < 2 * k ? coefficientPenalty : difficultyPenalty;
        }

        var beta = LogisticRegression.Fit(x, y, penalties).Coefficients;
        var mean = 0.0;
        for (var q = 0; q < instructions.Length; q++)
        {
            mean += beta[(2 * k) + q];
        }

        mean /= instructions.Length;
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        for (var q = 0; q < instructions.Length; q++)
        {
            result[instructions[q]] = beta[(2 * k) + q] - mean;
        }

        return result;
    }

    /// <summary>Writes the vector as JSONL (UTF-8, no byte-order mark), in ordinal order of instruction, numbers round-tripping exactly.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, double> difficulty)
    {
        ArgumentNullException.ThrowIfNull(difficulty);
        var text = new StringBuilder();
        foreach (var (instruction, value) in difficulty.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"instruction\":{JsonSerializer.Serialize(instruction, DifficultyJson.Default.String)},\"difficulty\":{value.ToString("R", CultureInfo.InvariantCulture)}}}").Append('\n');
        }

        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
    }

    /// <summary>Reads a vector written by <see cref="Write"/> (or by hand).</summary>
    /// <exception cref="InputException">Malformed JSON, a missing or non-numeric field, a non-finite difficulty or a repeated instruction, with the file and line.</exception>
    public static IReadOnlyDictionary<string, double> Read(string path)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        Jsonl.Read(path, record =>
        {
            var instruction = record.RequiredId("instruction");
            var value = record.Required("difficulty");
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var d) || !double.IsFinite(d))
            {
                throw record.Error("difficulty", $"expected a finite number, found {value.GetRawText()}");
            }

            if (!result.TryAdd(instruction, d))
            {
                throw record.Error("instruction", $"'{instruction}' appears twice");
            }

            return 0;
        });
        return result.Count > 0 ? result : throw new InputException(path, null, null, "holds no difficulty");
    }

    /// <summary>
    /// Reads a vector for the verdicts of <paramref name="run"/> (this turn, against this baseline): it must hold every
    /// instruction the baseline was judged on.
    /// </summary>
    /// <exception cref="InputException">As <see cref="Read"/>; or a judged instruction has no difficulty (the first one named).</exception>
    public static IReadOnlyDictionary<string, double> ReadFor(string path, JudgeRun run, int? turn, string? baseline)
    {
        ArgumentNullException.ThrowIfNull(run);
        var vector = Read(path);
        var missing = run.ForTurn(turn).Labels
            .Where(l => baseline is null || l.ModelA == baseline || l.ModelB == baseline)
            .Select(l => AnswerTexts.InstructionId(l.QuestionId, l.Turn))
            .Distinct(StringComparer.Ordinal)
            .Where(q => !vector.ContainsKey(q))
            .Order(StringComparer.Ordinal)
            .ToList();
        return missing.Count == 0 ? vector : throw new InputException(path, null, "instruction", $"no difficulty for {missing.Count} judged instruction(s), e.g. '{missing[0]}'");
    }
}

/// <summary>Source-generated JSON metadata for writing instruction ids.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class DifficultyJson : System.Text.Json.Serialization.JsonSerializerContext;
