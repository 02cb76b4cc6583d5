/* Compiled loops of extraction, each beside the Python version it replaces (which runs where this is not built):

   range_ids (archive/extract/ner.py NameTagger.tag_many): the recognizer's tokens (TOKEN's findall and finditer) of
   many texts' parts or sentences in one call, as the numbers of their rows in its table of word scores (a dict), the
   words it lacks listed once, with where each token stands: no list of words, no set of them, no Python step per
   word.

   score_words and word_table (archive/extract/ner.py WordScorer): the scores of words met for the first time, the
   sums of their features' weights in numpy's order of additions; what the model's tables say of a whole word read
   from one table made once (word_table), two look-ups a word instead of some thirty.

   squeeze (archive/extract/cleaning.py letters_key, builder.py's content key): a text's runs of kept characters
   joined by single spaces (" ".join(text.split()) and its letters-only form) without a str per word.

   translate (archive/extract/cleaning.py normalize_squeezed, _squeeze_spaces): one-character rules from a table of
   the Basic Multilingual Plane, in one pass: normalize()'s rules, case folding and runs of white space at once.

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

/* The next token of TEXT[*AT:TO] as the recognizer's TOKEN reads it (archive/extract/ner.py): a run of letters
   (LOW-HIGH, COUNT ranges), a run of ASCII digits, or any other character that is not white space, alone. Its start,
   with *AT moved to its end; -1 when none is left. */
static inline Py_ssize_t
next_token(int kind, const void *data, Py_ssize_t *at, Py_ssize_t to, const Py_UCS4 *low, const Py_UCS4 *high,
           Py_ssize_t range_count)
{
    Py_ssize_t i = *at;
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
        *at = i;
        return start;
    }
    *at = to;
    return -1;
}

/* next_token, in a text read sentence by sentence: a line end or one of the STOPS characters (a stop is no token)
   passed on the way sets *BROKE (a sentence ends there). */
static inline Py_ssize_t
next_sentence_token(int kind, const void *data, Py_ssize_t *at, Py_ssize_t to, const Py_UCS4 *low,
                    const Py_UCS4 *high, Py_ssize_t range_count, const Py_UCS4 *stops, Py_ssize_t stop_count,
                    int *broke)
{
    Py_ssize_t i = *at;
    while (i < to) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\n') {
            *broke = 1;
            i++;
            continue;
        }
        if (Py_UNICODE_ISSPACE(c)) {
            i++;
            continue;
        }
        if (!in_ranges(c, low, high, range_count) && !(c >= '0' && c <= '9')) {
            int stop = 0;
            for (Py_ssize_t k = 0; k < stop_count && !stop; k++)
                stop = c == stops[k];
            if (stop) {
                *broke = 1;
                i++;
                continue;
            }
        }
        break;
    }
    *at = i;
    return next_token(kind, data, at, to, low, high, range_count);
}

/* A growing array of int64 or int32. */
typedef struct {
    char *data;
    Py_ssize_t used, size, item;
} Buffer;

static int
buffer_put(Buffer *buffer, const void *value)
{
    if (buffer->used == buffer->size) {
        Py_ssize_t size = buffer->size ? 2 * buffer->size : 1024;
        char *grown = PyMem_Realloc(buffer->data, (size_t)(size * buffer->item));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        buffer->data = grown;
        buffer->size = size;
    }
    memcpy(buffer->data + buffer->used * buffer->item, value, (size_t)buffer->item);
    buffer->used++;
    return 0;
}

/* The token TEXT[START:END]: its number (in WORD_IDS, else in NUMBERS: -(k + 1) for the k-th word of MISSING, listed
   there the first time) into IDS, and where it stands into SPANS. -1 with an error set. */
static int
put_token(PyObject *text, Py_ssize_t start, Py_ssize_t end, PyObject *word_ids, PyObject *numbers, PyObject *missing,
          Buffer *ids, Buffer *spans)
{
    PyObject *word = PyUnicode_Substring(text, start, end);
    if (word == NULL)
        return -1;
    int64_t id = -1;
    int32_t pair[2] = {(int32_t)start, (int32_t)end};
    PyObject *found = PyDict_GetItemWithError(word_ids, word); /* borrowed */
    if (found == NULL && !PyErr_Occurred())
        found = PyDict_GetItemWithError(numbers, word);
    if (found != NULL) {
        id = PyLong_AsLongLong(found);
    } else if (!PyErr_Occurred()) { /* a word met for the first time */
        id = -(int64_t)PyList_GET_SIZE(missing) - 1;
        PyObject *number = PyLong_FromLongLong(id);
        if (number == NULL || PyDict_SetItem(numbers, word, number) < 0 || PyList_Append(missing, word) < 0) {
            Py_XDECREF(number);
            Py_DECREF(word);
            return -1;
        }
        Py_DECREF(number);
    }
    Py_DECREF(word);
    if (PyErr_Occurred() || buffer_put(ids, &id) < 0 || buffer_put(spans, &pair[0]) < 0
            || buffer_put(spans, &pair[1]) < 0)
        return -1;
    return 0;
}

/* range_ids([(text, [(start, end), ...] or None), ...], ranges, word_ids, stops): the recognizer's input for many
   texts' parts in one call, without a list of words: (ids, lengths, spans, missing, part_counts). A text's parts are
   the (start, end) ranges given, or with None its sentences: the runs of tokens between line ends and STOPS
   characters (a str; a stop is no token). IDS (int64) holds each token's number in WORD_IDS (a dict word -> int),
   or -(k + 1) for the k-th word of MISSING (the distinct words WORD_IDS lacks, in the order met); LENGTHS (int64)
   the tokens of each part, text after text; SPANS (int32) each token's start and end in its text; PART_COUNTS
   (int64) the parts of each text. */
static PyObject *
range_ids(PyObject *self, PyObject *args)
{
    PyObject *texts, *ranges, *word_ids, *stop_text;
    if (!PyArg_ParseTuple(args, "OO!O!U", &texts, &PyTuple_Type, &ranges, &PyDict_Type, &word_ids, &stop_text))
        return NULL;
    Py_UCS4 low[MAX_RANGES], high[MAX_RANGES], stops[64];
    Py_ssize_t range_count = parse_ranges(ranges, low, high);
    if (range_count < 0)
        return NULL;
    Py_ssize_t stop_count = PyUnicode_GET_LENGTH(stop_text);
    if (stop_count > 64) {
        PyErr_SetString(PyExc_ValueError, "range_ids: up to 64 stop characters");
        return NULL;
    }
    for (Py_ssize_t k = 0; k < stop_count; k++)
        stops[k] = PyUnicode_READ_CHAR(stop_text, k);
    PyObject *sequence = PySequence_Fast(texts, "range_ids: the texts are a sequence of (text, parts)");
    if (sequence == NULL)
        return NULL;
    Buffer ids = {NULL, 0, 0, sizeof(int64_t)}, lengths = {NULL, 0, 0, sizeof(int64_t)};
    Buffer spans = {NULL, 0, 0, sizeof(int32_t)}, part_counts = {NULL, 0, 0, sizeof(int64_t)};
    PyObject *missing = PyList_New(0), *numbers = PyDict_New(), *result = NULL;
    if (missing == NULL || numbers == NULL)
        goto done;
    for (Py_ssize_t t = 0; t < PySequence_Fast_GET_SIZE(sequence); t++) {
        PyObject *text, *parts;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(sequence, t), "UO", &text, &parts))
            goto done;
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        if (size > INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "range_ids: a text of over 2**31 characters");
            goto done;
        }
        int64_t part_count = 0;
        if (parts == Py_None) {
            /* the text's sentences */
            Py_ssize_t i = 0, start;
            int64_t count = 0;
            int broke = 0;
            while ((start = next_sentence_token(kind, data, &i, size, low, high, range_count, stops, stop_count,
                                                &broke)) >= 0) {
                if (broke && count > 0) {
                    if (buffer_put(&lengths, &count) < 0)
                        goto done;
                    part_count++;
                    count = 0;
                }
                broke = 0;
                if (put_token(text, start, i, word_ids, numbers, missing, &ids, &spans) < 0)
                    goto done;
                count++;
            }
            if (count > 0) {
                if (buffer_put(&lengths, &count) < 0)
                    goto done;
                part_count++;
            }
        } else {
            PyObject *part_list = PySequence_Fast(parts, "range_ids: the parts are a sequence of (start, end)");
            if (part_list == NULL)
                goto done;
            for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(part_list); k++) {
                Py_ssize_t from, to, start;
                if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(part_list, k), "nn", &from, &to)) {
                    Py_DECREF(part_list);
                    goto done;
                }
                if (from < 0)
                    from = 0;
                if (to > size)
                    to = size;
                int64_t count = 0;
                Py_ssize_t i = from;
                while ((start = next_token(kind, data, &i, to, low, high, range_count)) >= 0) {
                    if (put_token(text, start, i, word_ids, numbers, missing, &ids, &spans) < 0) {
                        Py_DECREF(part_list);
                        goto done;
                    }
                    count++;
                }
                if (buffer_put(&lengths, &count) < 0) {
                    Py_DECREF(part_list);
                    goto done;
                }
                part_count++;
            }
            Py_DECREF(part_list);
        }
        if (buffer_put(&part_counts, &part_count) < 0)
            goto done;
    }
    result = Py_BuildValue("(y#y#y#Oy#)", ids.data ? ids.data : "", ids.used * ids.item,
                           lengths.data ? lengths.data : "", lengths.used * lengths.item,
                           spans.data ? spans.data : "", spans.used * spans.item, missing,
                           part_counts.data ? part_counts.data : "", part_counts.used * part_counts.item);
done:
    Py_DECREF(sequence);
    Py_XDECREF(missing);
    Py_XDECREF(numbers);
    PyMem_Free(ids.data);
    PyMem_Free(lengths.data);
    PyMem_Free(spans.data);
    PyMem_Free(part_counts.data);
    return result;
}

/* ------------------------------------------------------------------ score_words */

#define OWN_TEMPLATES 13  /* w c p2 p3 s2 s3 cs2 cp2 pre k v1 v2 v3: value -> row (dicts) */
#define CONTEXT_TEMPLATES 4 /* w c k v2: value -> (row per slot) */
#define SLOT_COUNT 4
#define MAX_FLAGS 16
#define MAX_ROWS 48

/* The row of VALUE in the dict TABLE (0: absent, or VALUE NULL); -1 with an error set. */
static long
feature_row(PyObject *table, PyObject *value)
{
    if (value == NULL)
        return 0;
    PyObject *found = PyDict_GetItemWithError(table, value); /* borrowed */
    if (found == NULL)
        return PyErr_Occurred() ? -1 : 0;
    return PyLong_AsLong(found);
}

/* 0 when every item of the tuple TABLES is a dict, else -1 with a TypeError saying MESSAGE. */
static int
check_dicts(PyObject *tables, const char *message)
{
    for (Py_ssize_t t = 0; t < PyTuple_GET_SIZE(tables); t++)
        if (!PyDict_Check(PyTuple_GET_ITEM(tables, t))) {
            PyErr_SetString(PyExc_TypeError, message);
            return -1;
        }
    return 0;
}

/* The rows per slot of ROWS (a tuple of SLOT_COUNT rows, or NULL: none) into ROWS_OUT[slot][COUNTS[slot]++]. */
static int
lend_rows(PyObject *rows, long rows_out[SLOT_COUNT][MAX_ROWS], int counts[SLOT_COUNT])
{
    if (rows == NULL)
        return 0;
    if (!PyTuple_Check(rows) || PyTuple_GET_SIZE(rows) != SLOT_COUNT) {
        PyErr_SetString(PyExc_ValueError, "score_words: a context row is a tuple of one row per slot");
        return -1;
    }
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        long row = PyLong_AsLong(PyTuple_GET_ITEM(rows, slot));
        if (row == -1 && PyErr_Occurred())
            return -1;
        if (row != 0 && counts[slot] < MAX_ROWS)
            rows_out[slot][counts[slot]++] = row;
    }
    return 0;
}

/* The rows per slot of VALUE in TABLE (value -> a tuple of SLOT_COUNT rows) into ROWS[slot][COUNTS[slot]++]. */
static int
add_context(PyObject *table, PyObject *value, long rows[SLOT_COUNT][MAX_ROWS], int counts[SLOT_COUNT])
{
    if (value == NULL)
        return 0;
    PyObject *found = PyDict_GetItemWithError(table, value); /* borrowed */
    if (found == NULL)
        return PyErr_Occurred() ? -1 : 0;
    return lend_rows(found, rows, counts);
}

/* One entry of WordScorer._word_table: (own "w" row, own "c" row, "w" rows lent, "c" rows lent, cluster, vector
   clusters, flag bits, frequency); the objects borrowed from the table. */
typedef struct {
    long own_w, own_c, flags;
    long long count;
    PyObject *lent_w, *lent_c, *cluster, *vector;
} WordFacts;

/* FACTS of WORD from TABLE (all zero and NULL when absent); -1 with an error set. */
static int
word_facts(PyObject *table, PyObject *word, WordFacts *facts)
{
    PyObject *entry = PyDict_GetItemWithError(table, word); /* borrowed */
    if (entry == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 8) {
        PyErr_SetString(PyExc_ValueError, "score_words: a word's facts are a tuple of 8");
        return -1;
    }
    facts->own_w = PyLong_AsLong(PyTuple_GET_ITEM(entry, 0));
    facts->own_c = PyLong_AsLong(PyTuple_GET_ITEM(entry, 1));
    facts->lent_w = PyTuple_GET_ITEM(entry, 2);
    facts->lent_c = PyTuple_GET_ITEM(entry, 3);
    facts->cluster = PyTuple_GET_ITEM(entry, 4) == Py_None ? NULL : PyTuple_GET_ITEM(entry, 4);
    facts->vector = PyTuple_GET_ITEM(entry, 5) == Py_None ? NULL : PyTuple_GET_ITEM(entry, 5);
    facts->flags = PyLong_AsLong(PyTuple_GET_ITEM(entry, 6));
    facts->count = PyLong_AsLongLong(PyTuple_GET_ITEM(entry, 7));
    return PyErr_Occurred() ? -1 : 0;
}

/* TARGET[l] = 0.0 + the sum over the COUNT rows ROWS of WEIGHTS[row][l], added in the order numpy's add.reduceat adds
   a segment (its pairwise sum: under 8 values one after the other from 0, from 8 to 128 eight running sums combined
   pairwise and the rest one by one), so that the scores are numpy's to the last bit. */
static void
numpy_sum(double *target, const double *weights, Py_ssize_t labels, const long *rows, int count)
{
    for (Py_ssize_t l = 0; l < labels; l++) {
        double result;
        if (count < 8) {
            result = 0.;
            for (int i = 0; i < count; i++)
                result += weights[rows[i] * labels + l];
        } else {
            double r[8];
            int i;
            for (int j = 0; j < 8; j++)
                r[j] = weights[rows[j] * labels + l];
            for (i = 8; i < count - (count % 8); i += 8)
                for (int j = 0; j < 8; j++)
                    r[j] += weights[rows[i + j] * labels + l];
            result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < count; i++)
                result += weights[rows[i] * labels + l];
        }
        target[l] = 0. + result;
    }
}

/* A substring of WORD (length LENGTH) from FROM to TO, clamped as Python's slicing clamps. */
static PyObject *
slice_of(PyObject *word, Py_ssize_t length, Py_ssize_t from, Py_ssize_t to)
{
    if (from < 0)
        from = 0;
    if (to > length)
        to = length;
    return PyUnicode_Substring(word, from, to < from ? from : to);
}

/* score_words(words, plan): the recognizer's WordScorer.scores (archive/extract/ner.py) for many words, as float64
   bytes of (words, 5, labels): each word's features, in word_features' order, looked up in the model's rows and
   added as numpy's reduceat adds them (numpy_sum: the same sums, to the last bit). PLAN (made by
   WordScorer): (matrix, proclitics by first letter, f bucket rows, cf bucket rows, own tables, length rows, latin
   row, digit row, punct row, context tables, flags as (own row, rows lent or None), words: WordScorer's _word_table,
   all that is looked up by a whole word, read in two look-ups, the word's and its core's). */
static PyObject *
score_words(PyObject *self, PyObject *args)
{
    PyObject *words, *plan;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &words, &PyTuple_Type, &plan))
        return NULL;
    PyObject *matrix_object, *proclitics, *f_object, *cf_object, *own, *length_rows, *context, *flags, *word_table;
    long latin_row, digit_row, punct_row;
    if (!PyArg_ParseTuple(plan, "OO!OOO!O!lllO!O!O!", &matrix_object, &PyDict_Type, &proclitics, &f_object,
                          &cf_object, &PyTuple_Type, &own, &PyTuple_Type, &length_rows, &latin_row, &digit_row,
                          &punct_row, &PyTuple_Type, &context, &PyTuple_Type, &flags, &PyDict_Type, &word_table))
        return NULL;
    if (PyTuple_GET_SIZE(own) != OWN_TEMPLATES || PyTuple_GET_SIZE(context) != CONTEXT_TEMPLATES
            || PyTuple_GET_SIZE(length_rows) != 10 || PyTuple_GET_SIZE(flags) > MAX_FLAGS) {
        PyErr_SetString(PyExc_ValueError, "score_words: a plan of 13 own tables, 4 context tables, 10 length rows");
        return NULL;
    }
    if (check_dicts(own, "score_words: the own tables are dicts") < 0
            || check_dicts(context, "score_words: the context tables are dicts") < 0)
        return NULL;
    Py_buffer matrix = {0}, f_rows = {0}, cf_rows = {0};
    PyObject *result = NULL;
    double *out = NULL;
    if (PyObject_GetBuffer(matrix_object, &matrix, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return NULL;
    if (PyObject_GetBuffer(f_object, &f_rows, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0
            || PyObject_GetBuffer(cf_object, &cf_rows, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    if (matrix.ndim != 2 || strcmp(matrix.format, "d") != 0 || f_rows.itemsize != 8 || cf_rows.itemsize != 8
            || f_rows.len != cf_rows.len || f_rows.len < 8) {
        PyErr_SetString(PyExc_ValueError, "score_words: a float64 matrix of rows and 8-byte bucket rows");
        goto done;
    }
    Py_ssize_t rows = matrix.shape[0], labels = matrix.shape[1];
    const double *weights = matrix.buf;
    const int64_t *f_bucket = f_rows.buf, *cf_bucket = cf_rows.buf;
    Py_ssize_t buckets = f_rows.len / 8;
    long lengths[10], flag_own[MAX_FLAGS], flag_lent[MAX_FLAGS][SLOT_COUNT];
    int flag_lends[MAX_FLAGS];
    Py_ssize_t flag_count = PyTuple_GET_SIZE(flags);
    for (int i = 0; i < 10; i++)
        if ((lengths[i] = PyLong_AsLong(PyTuple_GET_ITEM(length_rows, i))) == -1 && PyErr_Occurred())
            goto done;
    for (Py_ssize_t k = 0; k < flag_count; k++) {
        PyObject *lent;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(flags, k), "lO", &flag_own[k], &lent))
            goto done;
        flag_lends[k] = lent != Py_None;
        for (int slot = 0; slot < SLOT_COUNT; slot++) {
            flag_lent[k][slot] = 0;
            if (flag_lends[k]) {
                if (!PyTuple_Check(lent) || PyTuple_GET_SIZE(lent) != SLOT_COUNT) {
                    PyErr_SetString(PyExc_ValueError, "score_words: a flag lends a row per slot");
                    goto done;
                }
                if ((flag_lent[k][slot] = PyLong_AsLong(PyTuple_GET_ITEM(lent, slot))) == -1 && PyErr_Occurred())
                    goto done;
            }
        }
    }
    Py_ssize_t count = PyList_GET_SIZE(words);
    Py_ssize_t width = (SLOT_COUNT + 1) * labels;
    out = PyMem_Calloc((size_t)(count * width + 1), sizeof(double));
    if (out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t n = 0; n < count; n++) {
        PyObject *word = PyList_GET_ITEM(words, n);
        if (!PyUnicode_Check(word) || PyUnicode_GET_LENGTH(word) == 0) {
            PyErr_SetString(PyExc_TypeError, "score_words: the words are non-empty str");
            goto done;
        }
        long own_rows[MAX_ROWS];
        int own_count = 0;
        long context_rows[SLOT_COUNT][MAX_ROWS];
        int context_counts[SLOT_COUNT] = {0, 0, 0, 0};
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        PyObject *own_values[OWN_TEMPLATES] = {NULL};
        PyObject *stem = NULL;
        long row;
        int failed = 0;
#define OWN(table_index, value)                                                                  \
        do {                                                                                     \
            row = feature_row(PyTuple_GET_ITEM(own, table_index), (value));                           \
            if (row < 0) { failed = 1; break; }                                                  \
            if (row != 0 && own_count < MAX_ROWS) own_rows[own_count++] = row;                   \
        } while (0)
        if (!Py_UNICODE_ISALPHA(PyUnicode_READ_CHAR(word, 0))) {
            /* digits and punctuation: their identity and "digit" or "punct"; they lend their identity */
            OWN(0, word);
            int digits = 1;
            for (Py_ssize_t i = 0; i < length && digits; i++)
                digits = Py_UNICODE_ISDIGIT(PyUnicode_READ_CHAR(word, i));
            row = digits ? digit_row : punct_row;
            if (row != 0 && own_count < MAX_ROWS)
                own_rows[own_count++] = row;
            if (!failed && add_context(PyTuple_GET_ITEM(context, 0), word, context_rows, context_counts) < 0)
                failed = 1;
        } else {
            /* the core: the word without the proclitics it opens with, when three letters stay */
            stem = word;
            Py_INCREF(stem);
            PyObject *first_letter = PyUnicode_Substring(word, 0, 1);
            PyObject *prefixes = first_letter ? PyDict_GetItemWithError(proclitics, first_letter) : NULL;
            Py_XDECREF(first_letter);
            if (first_letter == NULL || (prefixes == NULL && PyErr_Occurred()))
                failed = 1;
            for (Py_ssize_t p = 0; !failed && prefixes != NULL && p < PyTuple_GET_SIZE(prefixes); p++) {
                PyObject *prefix = PyTuple_GET_ITEM(prefixes, p);
                Py_ssize_t size = PyUnicode_GET_LENGTH(prefix);
                Py_ssize_t starts = PyUnicode_Tailmatch(word, prefix, 0, size, -1);
                if (starts < 0) {
                    failed = 1;
                } else if (starts && length - size >= 3) {
                    Py_DECREF(stem);
                    stem = PyUnicode_Substring(word, size, length);
                    if (stem == NULL)
                        failed = 1;
                    break;
                }
            }
            Py_ssize_t stem_length = stem ? PyUnicode_GET_LENGTH(stem) : 0;
            int same = stem == word;
            if (!failed) {
                own_values[0] = word; Py_INCREF(word);
                own_values[1] = stem; Py_INCREF(stem);
                own_values[2] = slice_of(word, length, 0, 2);
                own_values[3] = slice_of(word, length, 0, 3);
                own_values[4] = slice_of(word, length, length - 2, length);
                own_values[5] = slice_of(word, length, length - 3, length);
                own_values[6] = slice_of(stem, stem_length, stem_length - 2, stem_length);
                own_values[7] = slice_of(stem, stem_length, 0, 2);
                own_values[8] = same ? NULL : PyUnicode_Substring(word, 0, length - stem_length);
                for (int t = 0; t < 9; t++)
                    if (own_values[t] == NULL && !(t == 8 && same))
                        failed = 1;
            }
            /* what the tables say of the word and of its core, each read once (WordScorer._word_table) */
            WordFacts facts = {0}, stem_facts = {0};
            if (!failed && (word_facts(word_table, word, &facts) < 0
                            || (same ? (stem_facts = facts, 0) : word_facts(word_table, stem, &stem_facts)) < 0))
                failed = 1;
            /* the clusters: the word's, else its core's */
            PyObject *cluster = facts.cluster != NULL ? facts.cluster : stem_facts.cluster;
            PyObject *vector = facts.vector != NULL ? facts.vector : stem_facts.vector;
            if (!failed && ((cluster != NULL && (!PyTuple_Check(cluster) || PyTuple_GET_SIZE(cluster) < 1))
                            || (vector != NULL && (!PyTuple_Check(vector) || PyTuple_GET_SIZE(vector) < 3)))) {
                PyErr_SetString(PyExc_ValueError, "score_words: clusters are tuples");
                failed = 1;
            }
            /* own features, in word_features' order: w c p2 p3 s2 s3 cs2 cp2 f cf len pre latin k v1 v2 v3 g... */
            if (!failed) {
                if (facts.own_w != 0 && own_count < MAX_ROWS) own_rows[own_count++] = facts.own_w;
                if (stem_facts.own_c != 0 && own_count < MAX_ROWS) own_rows[own_count++] = stem_facts.own_c;
            }
            for (int t = 2; !failed && t < 8; t++)
                OWN(t, own_values[t]);
            if (!failed) {
                long long a = facts.count, b = stem_facts.count;
                if (a < 0) a = 0;
                if (b < 0) b = 0;
                row = (long)f_bucket[a < buckets - 1 ? a : buckets - 1];
                if (row != 0 && own_count < MAX_ROWS) own_rows[own_count++] = row;
                row = (long)cf_bucket[b < buckets - 1 ? b : buckets - 1];
                if (row != 0 && own_count < MAX_ROWS) own_rows[own_count++] = row;
                row = lengths[stem_length < 9 ? stem_length : 9];
                if (row != 0 && own_count < MAX_ROWS) own_rows[own_count++] = row;
            }
            if (!failed)
                OWN(8, own_values[8]);
            if (!failed && latin_row != 0 && PyUnicode_IS_ASCII(word) && own_count < MAX_ROWS)
                own_rows[own_count++] = latin_row;
            if (!failed && cluster != NULL)
                OWN(9, PyTuple_GET_ITEM(cluster, 0));
            if (!failed && vector != NULL) {
                OWN(10, PyTuple_GET_ITEM(vector, 0));
                if (!failed) OWN(11, PyTuple_GET_ITEM(vector, 1));
                if (!failed) OWN(12, PyTuple_GET_ITEM(vector, 2));
            }
            long mask = facts.flags | stem_facts.flags;
            for (Py_ssize_t k = 0; !failed && k < flag_count; k++)
                if ((mask >> k) & 1 && flag_own[k] != 0 && own_count < MAX_ROWS)
                    own_rows[own_count++] = flag_own[k];
            /* what it lends its neighbours: w c k v2, then the lent flags */
            if (!failed && (lend_rows(facts.lent_w, context_rows, context_counts) < 0
                            || lend_rows(stem_facts.lent_c, context_rows, context_counts) < 0
                            || (cluster != NULL && add_context(PyTuple_GET_ITEM(context, 2),
                                                               PyTuple_GET_ITEM(cluster, 0), context_rows,
                                                               context_counts) < 0)
                            || (vector != NULL && add_context(PyTuple_GET_ITEM(context, 3),
                                                              PyTuple_GET_ITEM(vector, 1), context_rows,
                                                              context_counts) < 0)))
                failed = 1;
            for (Py_ssize_t k = 0; !failed && k < flag_count; k++)
                if ((mask >> k) & 1 && flag_lends[k])
                    for (int slot = 0; slot < SLOT_COUNT; slot++)
                        if (flag_lent[k][slot] != 0 && context_counts[slot] < MAX_ROWS)
                            context_rows[slot][context_counts[slot]++] = flag_lent[k][slot];
        }
#undef OWN
        for (int t = 0; t < OWN_TEMPLATES; t++)
            Py_XDECREF(own_values[t]);
        Py_XDECREF(stem);
        if (failed || own_count >= MAX_ROWS) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "score_words: more features than a word can have");
            goto done;
        }
        /* the sums: slot 0 the word's own, slots 1-4 what it lends */
        for (int i = 0; i < own_count; i++)
            if (own_rows[i] < 0 || own_rows[i] >= rows) {
                PyErr_SetString(PyExc_ValueError, "score_words: a row outside the matrix");
                goto done;
            }
        for (int slot = 0; slot < SLOT_COUNT; slot++)
            for (int i = 0; i < context_counts[slot]; i++)
                if (context_rows[slot][i] < 0 || context_rows[slot][i] >= rows) {
                    PyErr_SetString(PyExc_ValueError, "score_words: a row outside the matrix");
                    goto done;
                }
        double *scores = out + n * width;
        numpy_sum(scores, weights, labels, own_rows, own_count);
        for (int slot = 0; slot < SLOT_COUNT; slot++)
            numpy_sum(scores + (slot + 1) * labels, weights, labels, context_rows[slot], context_counts[slot]);
    }
    result = PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)(count * width * (Py_ssize_t)sizeof(double)));
done:
    PyMem_Free(out);
    PyBuffer_Release(&matrix);
    if (f_rows.obj) PyBuffer_Release(&f_rows);
    if (cf_rows.obj) PyBuffer_Release(&cf_rows);
    return result;
}

/* ------------------------------------------------------------------ word_table */

/* word_table(words, tables, defaults): {word: (tables[0].get(word, defaults[0]), tables[1].get(...), ...)} for each
   of WORDS: the lookups of one word done one after the other while it is in the processor's cache (column by column
   with map(), each of some 95,000 words scattered in memory was read again for each table: three times slower). */
static PyObject *
word_table(PyObject *self, PyObject *args)
{
    PyObject *words, *tables, *defaults;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &words, &PyTuple_Type, &tables, &PyTuple_Type, &defaults))
        return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(tables);
    if (PyTuple_GET_SIZE(defaults) != count) {
        PyErr_SetString(PyExc_ValueError, "word_table: one default per table");
        return NULL;
    }
    if (check_dicts(tables, "word_table: the tables are dicts") < 0)
        return NULL;
    PyObject *result = PyDict_New();
    if (result == NULL)
        return NULL;
    for (Py_ssize_t n = 0; n < PyList_GET_SIZE(words); n++) {
        PyObject *word = PyList_GET_ITEM(words, n);
        PyObject *entry = PyTuple_New(count);
        if (entry == NULL)
            goto failed;
        for (Py_ssize_t t = 0; t < count; t++) {
            PyObject *value = PyDict_GetItemWithError(PyTuple_GET_ITEM(tables, t), word); /* borrowed */
            if (value == NULL && PyErr_Occurred()) {
                Py_DECREF(entry);
                goto failed;
            }
            PyTuple_SET_ITEM(entry, t, Py_NewRef(value != NULL ? value : PyTuple_GET_ITEM(defaults, t)));
        }
        int stored = PyDict_SetItem(result, word, entry);
        Py_DECREF(entry);
        if (stored < 0)
            goto failed;
    }
    return result;
failed:
    Py_DECREF(result);
    return NULL;
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

/* ------------------------------------------------------------------ translate */

/* translate(text, table): (TEXT with each character below U+10000 mapped by TABLE, flagged) or None. TABLE holds
   65,536 int32: -1 keeps the character, -2 deletes it, -3 gives up (None: the caller's plain way), -4 keeps it and
   raises the flag, -5 writes a space unless a space was the last character written, any other value is the code
   point written instead; a character above U+FFFF is kept and raises the flag. archive/extract/cleaning.py's _tables makes the tables from normalize()'s rules, case folding and white space
   (the flag: the text holds a character that only str.lower() folds right). One pass over the text: normalize()
   scans it once per rule it holds, then again to fold case. */
static PyObject *
translate(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_buffer table;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &table))
        return NULL;
    PyObject *result = NULL;
    Py_UCS4 *out = NULL;
    if (table.len != 65536 * 4) {
        PyErr_SetString(PyExc_ValueError, "translate: a table of 65,536 int32");
        goto done;
    }
    const int32_t *map = table.buf;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), used = 0;
    int flagged = 0;
    out = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(length ? length : 1));
    if (out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        int32_t to = c < 65536 ? map[c] : -4;
        if (to >= 0) {
            out[used++] = (Py_UCS4)to;
        } else if (to == -1) {
            out[used++] = c;
        } else if (to == -4) {
            out[used++] = c;
            flagged = 1;
        } else if (to == -5) { /* white space: a run of it (deleted characters inside or not) is one space */
            if (used == 0 || out[used - 1] != ' ')
                out[used++] = ' ';
        } else if (to == -3) {
            result = Py_NewRef(Py_None);
            goto done;
        }
    }
    PyObject *translated = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, used);
    if (translated != NULL) {
        result = Py_BuildValue("(Oi)", translated, flagged);
        Py_DECREF(translated);
    }
done:
    PyMem_Free(out);
    PyBuffer_Release(&table);
    return result;
}

/* ------------------------------------------------------------------ module */

static PyMethodDef methods[] = {
    {"squeeze", squeeze, METH_VARARGS,
     "squeeze(text, letters_only): \" \".join(text.split()), or with letters_only the runs of letters (what "
     "[\\W\\d_]+ does not match) joined by single spaces."},
    {"range_ids", range_ids, METH_VARARGS,
     "range_ids([(text, [(start, end), ...] or None), ...], ((first, last), ...), word_ids, stops): (ids, lengths, "
     "spans, missing, part_counts): each part's tokens (as the recognizer's TOKEN finds them; None: the text's "
     "sentences, cut at line ends and STOPS) by their number in WORD_IDS (int64 bytes; -(k + 1): the k-th word of "
     "MISSING, the distinct words WORD_IDS lacks), the tokens of each part (int64 bytes), where each starts and "
     "ends (int32 pairs) and the parts of each text (int64 bytes)."},
    {"score_words", score_words, METH_VARARGS,
     "score_words(words, plan): (words, 5, labels) float64 bytes: each word's own scores and what it lends its "
     "neighbours, the recognizer's WordScorer.scores (archive/extract/ner.py makes the plan)."},
    {"translate", translate, METH_VARARGS,
     "translate(text, table): (text mapped, flag) or None: each character below U+10000 mapped by TABLE (65,536 "
     "int32: -1 keep, -2 delete, -3 give up, -4 keep and flag, -5 one space for a run, else the code point "
     "written instead); the others "
     "kept and flagged."},
    {"word_table", word_table, METH_VARARGS,
     "word_table(words, tables, defaults): {word: (tables[0].get(word, defaults[0]), ...)} for each of WORDS (a "
     "list; TABLES dicts, DEFAULTS one per table)."},
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
