/* Compiled loops of extraction, each beside the Python version it replaces (which runs where this is not built):

   range_tokens (archive/extract/ner.py NameTagger.tag_many): a text's words as the recognizer reads them, with
   their places (TOKEN's findall and finditer), for each window of the text in one call.

   squeeze (archive/extract/cleaning.py letters_key, builder.py's content key): a text's runs of kept characters
   joined by single spaces (" ".join(text.split()) and its letters-only form) without a str per word.

   word_starts (archive/extract/people.py word_index): the runs of letters of a normalized text, each distinct one with
   where it occurs, in one pass (Python's regex spends ~40 ns a character over a character class).

   decode (archive/extract/ner.py NameTagger._names; NameTagger._decode is the numpy version): the name recognizer's
   Viterbi decoding. For each sentence (a run of word ids into the tagger's table of per-word scores), the same steps as the numpy
   code, in the same order of floating-point operations, so the labels are the same to the last tie:
   - each word's score per label: its own row plus what its two neighbours on each side lend (slots 1-4 of the
     table), then the BOS and EOS weights at the sentence's ends;
   - the exact bound of _names (ner.py): a run of name labels can beat O words in its place only where
     opening + closing > -1e-9; the other words are O on the best path;
   - a Viterbi over each run of candidate words, opened by the O->label transition (unless at the sentence's start)
     and closed by the label->O one (unless at its end), argmax taking the first of equal scores as numpy does.
   numpy spends its time there on array calls for a few dozen words an article; here it is a few microseconds.

   Plain C on the buffer protocol: no numpy headers. Inputs are checked (a word id outside the table, lengths that
   do not add up to the ids, a label outside the labels) and raise ValueError.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_LABELS 64
#define SLOTS 5 /* a word's own scores, then what it lends the words 2 and 1 after it and 1 and 2 before it */

typedef struct {
    const double *table; /* (rows, SLOTS, labels) */
    Py_ssize_t rows;
    int labels;
    const double *bos, *eos, *transitions; /* (labels), (labels), (labels, labels) */
    int outside;
    const int64_t *names; /* the name labels' columns */
    int name_count;
    const double *from_outside, *from_name; /* per name label */
    double exit_gain;
} Model;

/* Slot SLOT of word ID's row. */
static inline const double *
row_of(const Model *m, int64_t id, int slot)
{
    return m->table + ((size_t)id * SLOTS + (size_t)slot) * (size_t)m->labels;
}

/* The named (position, label) pairs of one sentence of LENGTH words (IDS), appended to a new list in *FOUND (left
   NULL when the best path is all O). SCORES holds LENGTH * labels doubles, WORK 5 * LENGTH + 1 + 2 * labels,
   BACKS LENGTH * labels ints and PATH LENGTH ints. Returns -1 on a Python error. */
static int
decode_sentence(const Model *m, const int64_t *ids, Py_ssize_t length, double *scores, double *work, int *backs,
                int *path, PyObject **found)
{
    const int L = m->labels;
    const int O = m->outside;
    double *inner = work, *first = work + length, *sums = work + 2 * length; /* sums: LENGTH + 1 */
    double *opening = work + 3 * length + 1, *closing = work + 4 * length + 1;
    double *best = work + 5 * length + 1; /* 2 * labels, below */
    for (Py_ssize_t p = 0; p < length; p++) {
        int64_t own = ids[p];
        int64_t before2 = p >= 2 ? ids[p - 2] : 0, before1 = p >= 1 ? ids[p - 1] : 0;
        int64_t after1 = p + 1 < length ? ids[p + 1] : 0, after2 = p + 2 < length ? ids[p + 2] : 0;
        const double *a = row_of(m, own, 0), *b = row_of(m, before2, 1), *c = row_of(m, before1, 2);
        const double *d = row_of(m, after1, 3), *e = row_of(m, after2, 4);
        double *s = scores + (size_t)p * L;
        for (int l = 0; l < L; l++)
            s[l] = (((a[l] + b[l]) + c[l]) + d[l]) + e[l];
    }
    for (int l = 0; l < L; l++)
        scores[l] += m->bos[l];
    for (int l = 0; l < L; l++)
        scores[(size_t)(length - 1) * L + l] += m->eos[l];
    /* the bound */
    for (Py_ssize_t p = 0; p < length; p++) {
        const double *s = scores + (size_t)p * L;
        double inner_best = 0, first_best = 0;
        for (int n = 0; n < m->name_count; n++) {
            double score = s[m->names[n]];
            double in = score + m->from_name[n];
            double op = p == 0 ? score : score + m->from_outside[n];
            if (n == 0 || in > inner_best)
                inner_best = in;
            if (n == 0 || op > first_best)
                first_best = op;
        }
        inner[p] = inner_best - s[O];
        first[p] = first_best - s[O];
    }
    sums[0] = 0.0;
    for (Py_ssize_t p = 0; p < length; p++)
        sums[p + 1] = sums[p] + inner[p];
    for (Py_ssize_t p = 0; p < length; p++) {
        double value = first[p] - inner[p] - sums[p];
        opening[p] = (p == 0 || value > opening[p - 1]) ? value : opening[p - 1];
    }
    for (Py_ssize_t p = length - 1; p >= 0; p--) {
        double value = sums[p + 1] + (p < length - 1 ? m->exit_gain : 0.0);
        closing[p] = (p == length - 1 || value > closing[p + 1]) ? value : closing[p + 1];
    }
    /* each run of candidates, decoded */
    Py_ssize_t p = 0;
    while (p < length) {
        if (!(opening[p] + closing[p] > -1e-9)) {
            p++;
            continue;
        }
        Py_ssize_t start = p;
        while (p < length && opening[p] + closing[p] > -1e-9)
            p++;
        Py_ssize_t span = p - start;
        double *now = best, *next = best + L;
        for (int l = 0; l < L; l++) {
            double value = scores[(size_t)start * L + l];
            if (start > 0)
                value += m->transitions[(size_t)O * L + l];
            if (span == 1 && start + span < length)
                value += m->transitions[(size_t)l * L + O];
            now[l] = value;
        }
        for (Py_ssize_t i = 1; i < span; i++) {
            const double *s = scores + (size_t)(start + i) * L;
            int *back = backs + (size_t)i * L;
            for (int l = 0; l < L; l++) {
                int arg = 0;
                double top = now[0] + m->transitions[l];
                for (int k = 1; k < L; k++) {
                    double candidate = now[k] + m->transitions[(size_t)k * L + l];
                    if (candidate > top) {
                        top = candidate;
                        arg = k;
                    }
                }
                back[l] = arg;
                double value = s[l];
                if (i == span - 1 && start + span < length)
                    value += m->transitions[(size_t)l * L + O];
                next[l] = top + value;
            }
            double *swap = now;
            now = next;
            next = swap;
        }
        int label = 0;
        for (int l = 1; l < L; l++)
            if (now[l] > now[label])
                label = l;
        /* back-tracking, from the run's last word to its first */
        for (Py_ssize_t i = span - 1; i >= 0; i--) {
            path[i] = label;
            if (i)
                label = backs[(size_t)i * L + label];
        }
        for (Py_ssize_t i = 0; i < span; i++) {
            int chosen = path[i];
            if (chosen == O)
                continue;
            if (*found == NULL && (*found = PyList_New(0)) == NULL)
                return -1;
            PyObject *pair = Py_BuildValue("(nn)", start + i, (Py_ssize_t)chosen);
            if (pair == NULL || PyList_Append(*found, pair) < 0) {
                Py_XDECREF(pair);
                return -1;
            }
            Py_DECREF(pair);
        }
    }
    return 0;
}

static PyObject *
decode(PyObject *self, PyObject *args)
{
    Py_buffer table, ids, lengths, bos, eos, transitions, names, from_outside, from_name;
    int labels, outside;
    double exit_gain;
    if (!PyArg_ParseTuple(args, "y*iy*y*y*y*y*iy*y*y*d", &table, &labels, &ids, &lengths, &bos, &eos, &transitions,
                          &outside, &names, &from_outside, &from_name, &exit_gain))
        return NULL;
    PyObject *result = NULL;
    double *scores = NULL, *work = NULL;
    int *backs = NULL, *path = NULL;
    Py_ssize_t id_count = ids.len / 8, count = lengths.len / 8;
    const int64_t *id = (const int64_t *)ids.buf, *length = (const int64_t *)lengths.buf;
    Model m = {(const double *)table.buf, 0, labels, (const double *)bos.buf, (const double *)eos.buf,
               (const double *)transitions.buf, outside, (const int64_t *)names.buf, (int)(names.len / 8),
               (const double *)from_outside.buf, (const double *)from_name.buf, exit_gain};
    if (labels < 1 || labels > MAX_LABELS || table.len % (SLOTS * labels * 8) || bos.len != labels * 8
        || eos.len != labels * 8 || transitions.len != (Py_ssize_t)labels * labels * 8 || outside < 0
        || outside >= labels || m.name_count < 1 || from_outside.len != m.name_count * 8
        || from_name.len != m.name_count * 8) {
        PyErr_SetString(PyExc_ValueError, "crf decode: the model's arrays do not fit its labels");
        goto done;
    }
    m.rows = table.len / (SLOTS * labels * 8);
    for (int n = 0; n < m.name_count; n++)
        if (m.names[n] < 0 || m.names[n] >= labels) {
            PyErr_SetString(PyExc_ValueError, "crf decode: a name label outside the labels");
            goto done;
        }
    Py_ssize_t total = 0, longest = 0;
    for (Py_ssize_t s = 0; s < count; s++) {
        if (length[s] < 0 || length[s] > id_count - total) {
            PyErr_SetString(PyExc_ValueError, "crf decode: sentence lengths do not add up to the word ids");
            goto done;
        }
        total += length[s];
        if (length[s] > longest)
            longest = length[s];
    }
    if (total != id_count) {
        PyErr_SetString(PyExc_ValueError, "crf decode: sentence lengths do not add up to the word ids");
        goto done;
    }
    for (Py_ssize_t i = 0; i < id_count; i++)
        if (id[i] < 0 || id[i] >= m.rows) {
            PyErr_SetString(PyExc_ValueError, "crf decode: a word id outside the table");
            goto done;
        }
    scores = PyMem_Malloc(sizeof(double) * (size_t)(longest ? longest : 1) * labels);
    work = PyMem_Malloc(sizeof(double) * ((size_t)5 * (longest ? longest : 1) + 1 + 2 * labels));
    backs = PyMem_Malloc(sizeof(int) * (size_t)(longest ? longest : 1) * labels);
    path = PyMem_Malloc(sizeof(int) * (size_t)(longest ? longest : 1));
    if (scores == NULL || work == NULL || backs == NULL || path == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyList_New(count);
    if (result == NULL)
        goto done;
    Py_ssize_t at = 0;
    for (Py_ssize_t s = 0; s < count; s++) {
        PyObject *found = NULL;
        if (length[s] > 0 && decode_sentence(&m, id + at, length[s], scores, work, backs, path, &found) < 0) {
            Py_XDECREF(found);
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, s, found != NULL ? found : Py_NewRef(Py_None));
        at += length[s];
    }
done:
    PyMem_Free(scores);
    PyMem_Free(work);
    PyMem_Free(backs);
    PyMem_Free(path);
    PyBuffer_Release(&table);
    PyBuffer_Release(&ids);
    PyBuffer_Release(&lengths);
    PyBuffer_Release(&bos);
    PyBuffer_Release(&eos);
    PyBuffer_Release(&transitions);
    PyBuffer_Release(&names);
    PyBuffer_Release(&from_outside);
    PyBuffer_Release(&from_name);
    return result;
}

/* ------------------------------------------------------------------ word_starts */

#define MAX_RANGES 16

static inline int
in_ranges(Py_UCS4 c, const Py_UCS4 *low, const Py_UCS4 *high, Py_ssize_t count)
{
    for (Py_ssize_t r = 0; r < count; r++)
        if (c >= low[r] && c <= high[r])
            return 1;
    return 0;
}

/* The (first, last) code point pairs of RANGES (a tuple) into LOW and HIGH; their count, or -1 with an error set. */
static Py_ssize_t
parse_ranges(PyObject *ranges, Py_UCS4 *low, Py_UCS4 *high)
{
    Py_ssize_t count = PyTuple_GET_SIZE(ranges);
    if (count < 1 || count > MAX_RANGES) {
        PyErr_SetString(PyExc_ValueError, "1 to 16 (first, last) letter ranges");
        return -1;
    }
    for (Py_ssize_t r = 0; r < count; r++) {
        unsigned int first, last;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(ranges, r), "II", &first, &last))
            return -1;
        low[r] = first;
        high[r] = last;
    }
    return count;
}

/* (index, starts, nexts): INDEX maps each distinct run of letters to the number of its first run; STARTS (int32) is
   where each run starts, NEXTS (int32) the number of the next run of the same letters, or -1. Only the dictionary
   is a container: a list of starts for each of an article's ~160 distinct words made the garbage collector walk
   them all, and cost more than the pass itself. */
static PyObject *
word_starts(PyObject *self, PyObject *args)
{
    PyObject *text, *ranges;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &ranges))
        return NULL;
    Py_UCS4 low[MAX_RANGES], high[MAX_RANGES];
    Py_ssize_t range_count = parse_ranges(ranges, low, high);
    if (range_count < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    if (size > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "word_starts: a text of over 2**31 characters");
        return NULL;
    }
    /* at most one run per two characters, plus one */
    Py_ssize_t most = size / 2 + 1;
    int32_t *starts = PyMem_Malloc(sizeof(int32_t) * (size_t)most);
    int32_t *nexts = PyMem_Malloc(sizeof(int32_t) * (size_t)most);
    int32_t *lasts = PyMem_Malloc(sizeof(int32_t) * (size_t)most); /* per distinct word (by first run): its last run */
    PyObject *index = PyDict_New(), *result = NULL;
    if (starts == NULL || nexts == NULL || lasts == NULL || index == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t runs = 0, i = 0;
    while (i < size) {
        if (!in_ranges(PyUnicode_READ(kind, data, i), low, high, range_count)) {
            i++;
            continue;
        }
        Py_ssize_t start = i++;
        while (i < size && in_ranges(PyUnicode_READ(kind, data, i), low, high, range_count))
            i++;
        PyObject *word = PyUnicode_Substring(text, start, i);
        if (word == NULL)
            goto done;
        PyObject *first = PyDict_GetItemWithError(index, word); /* borrowed */
        starts[runs] = (int32_t)start;
        nexts[runs] = -1;
        if (first == NULL) {
            PyObject *number = PyErr_Occurred() ? NULL : PyLong_FromSsize_t(runs);
            if (number == NULL || PyDict_SetItem(index, word, number) < 0) {
                Py_XDECREF(number);
                Py_DECREF(word);
                goto done;
            }
            Py_DECREF(number);
            lasts[runs] = (int32_t)runs;
        } else {
            Py_ssize_t head = PyLong_AsSsize_t(first);
            nexts[lasts[head]] = (int32_t)runs;
            lasts[head] = (int32_t)runs;
        }
        Py_DECREF(word);
        runs++;
    }
    result = Py_BuildValue("(Oy#y#)", index, (const char *)starts, (Py_ssize_t)(runs * sizeof(int32_t)),
                           (const char *)nexts, (Py_ssize_t)(runs * sizeof(int32_t)));
done:
    Py_XDECREF(index);
    PyMem_Free(starts);
    PyMem_Free(nexts);
    PyMem_Free(lasts);
    return result;
}

/* ------------------------------------------------------------------ tokens */

/* The recognizer's tokens of TEXT[FROM:TO] (archive/extract/ner.py TOKEN): a run of letters (LOW-HIGH, COUNT ranges),
   a run of ASCII digits, or any other character that is not white space, alone; (words, where each starts and ends
   as int32 pairs). */
static PyObject *
tokenize(PyObject *text, Py_ssize_t from, Py_ssize_t to, const Py_UCS4 *low, const Py_UCS4 *high,
         Py_ssize_t range_count)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    if (from < 0)
        from = 0;
    if (to > size)
        to = size;
    if (size > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "tokens: a text of over 2**31 characters");
        return NULL;
    }
    PyObject *words = PyList_New(0), *result = NULL;
    int32_t *spans = NULL;
    Py_ssize_t count = 0;
    if (words == NULL)
        return NULL;
    if (to > from && (spans = PyMem_Malloc(sizeof(int32_t) * 2 * (size_t)(to - from))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t i = from;
    while (i < to) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        Py_ssize_t start = i++;
        if (in_ranges(c, low, high, range_count)) {
            while (i < to && in_ranges(PyUnicode_READ(kind, data, i), low, high, range_count))
                i++;
        } else if (c >= '0' && c <= '9') {
            while (i < to && (c = PyUnicode_READ(kind, data, i)) >= '0' && c <= '9')
                i++;
        } else if (Py_UNICODE_ISSPACE(c)) {
            continue;
        }
        PyObject *word = PyUnicode_Substring(text, start, i);
        if (word == NULL || PyList_Append(words, word) < 0) {
            Py_XDECREF(word);
            goto done;
        }
        Py_DECREF(word);
        if (spans != NULL) {
            spans[2 * count] = (int32_t)start;
            spans[2 * count + 1] = (int32_t)i;
        }
        count++;
    }
    result = Py_BuildValue("(Oy#)", words, spans != NULL ? (const char *)spans : "",
                           (Py_ssize_t)(count * 2 * sizeof(int32_t)));
done:
    Py_DECREF(words);
    PyMem_Free(spans);
    return result;
}

/* range_tokens(text, [(start, end), ...], ranges): [(words, spans), ...], each part tokenized, in one call per text
   (a call per window, with its ranges parsed each time, cost more than the tokenizing). */
static PyObject *
range_tokens(PyObject *self, PyObject *args)
{
    PyObject *text, *parts, *ranges;
    if (!PyArg_ParseTuple(args, "UOO!", &text, &parts, &PyTuple_Type, &ranges))
        return NULL;
    Py_UCS4 low[MAX_RANGES], high[MAX_RANGES];
    Py_ssize_t range_count = parse_ranges(ranges, low, high);
    if (range_count < 0)
        return NULL;
    PyObject *sequence = PySequence_Fast(parts, "range_tokens: the parts are a sequence of (start, end)");
    if (sequence == NULL)
        return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence);
    PyObject *result = PyList_New(count);
    for (Py_ssize_t k = 0; result != NULL && k < count; k++) {
        Py_ssize_t from, to;
        PyObject *tokenized = NULL;
        if (PyArg_ParseTuple(PySequence_Fast_GET_ITEM(sequence, k), "nn", &from, &to))
            tokenized = tokenize(text, from, to, low, high, range_count);
        if (tokenized == NULL)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, k, tokenized);
    }
    Py_DECREF(sequence);
    return result;
}

/* ------------------------------------------------------------------ squeeze */

static inline int
kept(Py_UCS4 c, int letters_only)
{
    if (letters_only) /* what [\W\d_]+ does not match: a letter or a non-decimal number (², ½), no underscore */
        return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c) && c != '_';
    return !Py_UNICODE_ISSPACE(c);
}

/* squeeze(text, letters_only): " ".join(text.split()), or with LETTERS_ONLY " ".join(re.sub(r"[\W\d_]+", " ",
   text).split()): the kept characters' runs joined by single spaces. Two passes (the length and the widest
   character first), so the result is a canonical str of the right kind. */
static PyObject *
squeeze(PyObject *self, PyObject *args)
{
    PyObject *text;
    int letters_only;
    if (!PyArg_ParseTuple(args, "Up", &text, &letters_only))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), length = 0, words = 0;
    Py_UCS4 widest = 0;
    int inside = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (kept(c, letters_only)) {
            if (!inside) {
                words++;
                inside = 1;
            }
            length++;
            if (c > widest)
                widest = c;
        } else {
            inside = 0;
        }
    }
    if (words > 1) {
        length += words - 1;
        if (widest < ' ')
            widest = ' ';
    }
    PyObject *out = PyUnicode_New(length, widest);
    if (out == NULL)
        return NULL;
    int out_kind = PyUnicode_KIND(out);
    void *out_data = PyUnicode_DATA(out);
    Py_ssize_t at = 0;
    inside = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (kept(c, letters_only)) {
            if (!inside && at > 0)
                PyUnicode_WRITE(out_kind, out_data, at++, ' ');
            inside = 1;
            PyUnicode_WRITE(out_kind, out_data, at++, c);
        } else {
            inside = 0;
        }
    }
    return out;
}

/* ------------------------------------------------------------------ module */

static PyMethodDef methods[] = {
    {"squeeze", squeeze, METH_VARARGS,
     "squeeze(text, letters_only): \" \".join(text.split()), or with letters_only the runs of letters (what "
     "[\\W\\d_]+ does not match) joined by single spaces."},
    {"range_tokens", range_tokens, METH_VARARGS,
     "range_tokens(text, [(start, end), ...], ((first, last), ...)): [(words, int32 (start, end) pairs), ...]: the "
     "words of each part of the text as the recognizer's TOKEN finds them (runs of letters within the ranges, runs "
     "of ASCII digits, any other non-space character alone)."},
    {"word_starts", word_starts, METH_VARARGS,
     "word_starts(text, ((first, last), ...)): (index, starts, nexts) of the maximal runs of characters within the "
     "(inclusive) code point ranges: {run's text: its first run's number}, and per run (int32 bytes) where it "
     "starts and the number of the next run of the same text (-1: none)."},
    {"decode", decode, METH_VARARGS,
     "decode(table, labels, ids, lengths, bos, eos, transitions, outside, names, from_outside, from_name, "
     "exit_gain): per sentence (LENGTHS int64 over IDS int64), None or the [(position, label), ...] its best path "
     "does not tag OUTSIDE; the tables float64, NAMES int64."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_loops", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__loops(void)
{
    return PyModule_Create(&module);
}
