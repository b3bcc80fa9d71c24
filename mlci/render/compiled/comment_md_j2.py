from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'comment.md.j2'

def root(context, missing=missing, environment=environment):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_icon = resolve('icon')
    l_0_results = resolve('results')
    l_0_counts = resolve('counts')
    l_0_summary = resolve('summary')
    l_0_problems = resolve('problems')
    l_0_rows = resolve('rows')
    l_0_tables = resolve('tables')
    l_0_folded = resolve('folded')
    l_0_omit_folded = resolve('omit_folded')
    l_0_charts = resolve('charts')
    l_0_bar = resolve('bar')
    l_0_artifacts = resolve('artifacts')
    l_0_params = resolve('params')
    l_0_unchanged_params = resolve('unchanged_params')
    l_0_marker = resolve('marker')
    try:
        t_1 = environment.filters['confusion']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'confusion' found.")
    try:
        t_2 = environment.filters['dataset_summary']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'dataset_summary' found.")
    try:
        t_3 = environment.filters['format']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'format' found.")
    try:
        t_4 = environment.filters['icon']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'icon' found.")
    try:
        t_5 = environment.filters['join']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No filter named 'join' found.")
    try:
        t_6 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_6(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_7 = environment.filters['list']
    except KeyError:
        @internalcode
        def t_7(*unused):
            raise TemplateRuntimeError("No filter named 'list' found.")
    try:
        t_8 = environment.filters['md']
    except KeyError:
        @internalcode
        def t_8(*unused):
            raise TemplateRuntimeError("No filter named 'md' found.")
    try:
        t_9 = environment.filters['mermaid']
    except KeyError:
        @internalcode
        def t_9(*unused):
            raise TemplateRuntimeError("No filter named 'mermaid' found.")
    try:
        t_10 = environment.filters['metrics_bar']
    except KeyError:
        @internalcode
        def t_10(*unused):
            raise TemplateRuntimeError("No filter named 'metrics_bar' found.")
    try:
        t_11 = environment.filters['rejectattr']
    except KeyError:
        @internalcode
        def t_11(*unused):
            raise TemplateRuntimeError("No filter named 'rejectattr' found.")
    try:
        t_12 = environment.filters['selectattr']
    except KeyError:
        @internalcode
        def t_12(*unused):
            raise TemplateRuntimeError("No filter named 'selectattr' found.")
    try:
        t_13 = environment.filters['sentence']
    except KeyError:
        @internalcode
        def t_13(*unused):
            raise TemplateRuntimeError("No filter named 'sentence' found.")
    try:
        t_14 = environment.filters['upper']
    except KeyError:
        @internalcode
        def t_14(*unused):
            raise TemplateRuntimeError("No filter named 'upper' found.")
    try:
        t_15 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_15(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield '## '
    yield str(environment.finalize(t_8((undefined(name='icon') if l_0_icon is missing else l_0_icon))))
    yield ' '
    yield str(environment.finalize(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'title')))
    yield ': '
    yield str(environment.finalize(t_14(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'verdict'))))
    yield '\n'
    if environment.getattr((undefined(name='counts') if l_0_counts is missing else l_0_counts), 'fail'):
        pass
        yield '**'
        yield str(environment.finalize(t_13((undefined(name='summary') if l_0_summary is missing else l_0_summary))))
        yield '.**'
    else:
        pass
        yield str(environment.finalize(t_13((undefined(name='summary') if l_0_summary is missing else l_0_summary))))
        yield '.'
    yield '\n\nComparing **'
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'name')))
    yield '** (`'
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'head'), 'short')))
    yield '`) with base **'
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'name')))
    yield '** (`'
    yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'base'), 'short')))
    yield '`).\n'
    if (undefined(name='problems') if l_0_problems is missing else l_0_problems):
        pass
        yield '\n### Gates that did not pass\n\n| | Metric | Rule | Why |\n|---|---|---|---|\n'
        for l_1_gate in (undefined(name='problems') if l_0_problems is missing else l_0_problems):
            _loop_vars = {}
            pass
            yield '| '
            yield str(environment.finalize(t_4(environment.getattr(l_1_gate, 'outcome'))))
            yield ' | '
            yield str(environment.finalize(environment.getattr(l_1_gate, 'key')))
            if environment.getattr(l_1_gate, 'file'):
                pass
                yield ' <sub>'
                yield str(environment.finalize(environment.getattr(l_1_gate, 'file')))
                yield '</sub>'
            yield ' | '
            yield str(environment.finalize(environment.getattr(l_1_gate, 'rule')))
            if (environment.getattr(l_1_gate, 'source') == 'head'):
                pass
                yield " <sub>(PR's mlci.yaml)</sub>"
            yield ' | '
            yield str(environment.finalize(environment.getattr(l_1_gate, 'reason')))
            yield ' |\n'
        l_1_gate = missing
    yield '\n### Metrics\n\n'
    if (undefined(name='rows') if l_0_rows is missing else l_0_rows):
        pass
        yield '| File | Metric | Base | Head | Change | Gate | Status |\n|---|---|--:|--:|--:|---|:-:|\n'
        yield str(environment.finalize(environment.getattr((undefined(name='tables') if l_0_tables is missing else l_0_tables), 'shown_rows')))
        yield '\n'
    elif (not (undefined(name='folded') if l_0_folded is missing else l_0_folded)):
        pass
        yield 'No metrics found at base or head.\n'
    else:
        pass
        yield 'No metric changed.\n'
    if ((undefined(name='folded') if l_0_folded is missing else l_0_folded) and (undefined(name='omit_folded') if l_0_omit_folded is missing else l_0_omit_folded)):
        pass
        yield '\n'
        yield str(environment.finalize(t_6((undefined(name='folded') if l_0_folded is missing else l_0_folded))))
        yield ' unchanged metric'
        yield str(environment.finalize(('s' if (t_6((undefined(name='folded') if l_0_folded is missing else l_0_folded)) != 1) else '')))
        yield " left out to fit GitHub's comment size limit.\n"
    elif (undefined(name='folded') if l_0_folded is missing else l_0_folded):
        pass
        yield '\n<details><summary>'
        yield str(environment.finalize(t_6((undefined(name='folded') if l_0_folded is missing else l_0_folded))))
        yield ' unchanged metric'
        yield str(environment.finalize(('s' if (t_6((undefined(name='folded') if l_0_folded is missing else l_0_folded)) != 1) else '')))
        yield '</summary>\n\n| File | Metric | Value | Gate | Status |\n|---|---|--:|---|:-:|\n'
        yield str(environment.finalize(environment.getattr((undefined(name='tables') if l_0_tables is missing else l_0_tables), 'folded_rows')))
        yield '\n\n</details>\n'
    yield '\n'
    if (environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots') and (undefined(name='charts') if l_0_charts is missing else l_0_charts)):
        pass
        l_0_bar = t_10(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'metrics'))
        context.vars['bar'] = l_0_bar
        context.exported_vars.add('bar')
        if ((((((undefined(name='bar') if l_0_bar is missing else l_0_bar) or environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'curves')) or environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'confusions')) or environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'images')) or environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'errors')) or environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'undrawn')):
            pass
            yield '### Plots\n\n'
            if (undefined(name='bar') if l_0_bar is missing else l_0_bar):
                pass
                yield '**Changed metrics** (relative change)\n\n'
                yield str(environment.finalize((undefined(name='bar') if l_0_bar is missing else l_0_bar)))
                yield '\n\n'
            for l_1_curve in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'curves'):
                _loop_vars = {}
                pass
                yield '**'
                yield str(environment.finalize(environment.getattr(l_1_curve, 'title')))
                yield '**\n\n'
                yield str(environment.finalize(t_9(l_1_curve)))
                yield '\n\n'
            l_1_curve = missing
            for l_1_conf in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'confusions'):
                _loop_vars = {}
                pass
                yield str(environment.finalize(t_1(l_1_conf)))
                yield '\n\n'
            l_1_conf = missing
            for l_1_image in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'images'):
                _loop_vars = {}
                pass
                yield '- Image plot '
                yield str(environment.finalize(environment.getattr(l_1_image, 'path')))
                if (not environment.getattr(l_1_image, 'in_head')):
                    pass
                    yield ' (not at head)'
                yield ': see report.html.\n'
            l_1_image = missing
            for l_1_error in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'errors'):
                _loop_vars = {}
                pass
                yield '- Could not read '
                yield str(environment.finalize(l_1_error))
                yield '\n'
            l_1_error = missing
            for l_1_line in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'), 'undrawn'):
                _loop_vars = {}
                pass
                yield '- '
                yield str(environment.finalize(l_1_line))
                yield ' (see it with `dvc plots show`).\n'
            l_1_line = missing
            if (undefined(name='artifacts') if l_0_artifacts is missing else l_0_artifacts):
                pass
                yield 'Interactive charts, base and head overlaid: report.html in '
                yield str(environment.finalize((undefined(name='artifacts') if l_0_artifacts is missing else l_0_artifacts)))
                yield '.\n'
            yield '\n'
    elif environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'plots'):
        pass
        yield "### Plots\n\nCharts left out to fit GitHub's comment size limit: see report.html"
        if (undefined(name='artifacts') if l_0_artifacts is missing else l_0_artifacts):
            pass
            yield ' in '
            yield str(environment.finalize((undefined(name='artifacts') if l_0_artifacts is missing else l_0_artifacts)))
        yield '.\n\n'
    if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'):
        pass
        yield '### Tests '
        yield str(environment.finalize(t_4(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'outcome'))))
        yield '\n\n'
        yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'command')))
        yield ': '
        yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'reason')))
        if environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'total'):
            pass
            yield ' ('
            yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'passed')))
            yield ' passed, '
            yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'failed')))
            yield ' failed, '
            yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'errors')))
            yield ' errors, '
            yield str(environment.finalize(environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'skipped')))
            yield ' skipped in '
            yield str(environment.finalize(t_3('%.1f', environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'seconds'))))
            yield ' s)'
        yield '.\n'
        if environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'failures'):
            pass
            yield '\n| Test | Why |\n|---|---|\n'
            for l_1_failure in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'failures'):
                _loop_vars = {}
                pass
                yield '| '
                yield str(environment.finalize(environment.getattr(l_1_failure, 'id')))
                yield ' | '
                yield str(environment.finalize(environment.getattr(l_1_failure, 'message')))
                yield ' |\n'
            l_1_failure = missing
        if environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'slowest'):
            pass
            yield '\n<details><summary>Slowest tests</summary>\n\n| Test | Seconds |\n|---|--:|\n'
            for (l_1_test_id, l_1_seconds) in environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'tests'), 'slowest'):
                _loop_vars = {}
                pass
                yield '| '
                yield str(environment.finalize(l_1_test_id))
                yield ' | '
                yield str(environment.finalize(t_3('%.2f', l_1_seconds)))
                yield ' |\n'
            l_1_test_id = l_1_seconds = missing
            yield '\n</details>\n'
        yield '\n'
    if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'data'):
        pass
        yield '### Data\n\n'
        for l_1_ds in environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'data'):
            l_1_moved = resolve('moved')
            l_1_still = resolve('still')
            l_1_failed = missing
            _loop_vars = {}
            pass
            l_1_failed = t_7(context.eval_ctx, t_12(context, environment.getattr(l_1_ds, 'checks'), 'outcome', 'equalto', 'fail'))
            _loop_vars['failed'] = l_1_failed
            yield '**'
            yield str(environment.finalize(t_4(environment.getattr(l_1_ds, 'outcome'))))
            yield ' '
            yield str(environment.finalize(environment.getattr(l_1_ds, 'path')))
            yield '**: '
            yield str(environment.finalize(t_2(l_1_ds)))
            yield '.\n'
            if (undefined(name='failed') if l_1_failed is missing else l_1_failed):
                pass
                yield '\n| Column | Check | Why |\n|---|---|---|\n'
                for l_2_c in (undefined(name='failed') if l_1_failed is missing else l_1_failed):
                    _loop_vars = {}
                    pass
                    yield '| '
                    yield str(environment.finalize((environment.getattr(l_2_c, 'column') or '')))
                    yield ' | '
                    yield str(environment.finalize(environment.getattr(l_2_c, 'check')))
                    yield ' | '
                    yield str(environment.finalize(environment.getattr(l_2_c, 'reason')))
                    yield ' |\n'
                l_2_c = missing
            if environment.getattr(l_1_ds, 'drift'):
                pass
                l_1_moved = t_7(context.eval_ctx, t_11(context, environment.getattr(environment.getattr(l_1_ds, 'drift'), 'columns'), 'outcome', 'equalto', 'pass'))
                _loop_vars['moved'] = l_1_moved
                l_1_still = t_7(context.eval_ctx, t_12(context, environment.getattr(environment.getattr(l_1_ds, 'drift'), 'columns'), 'outcome', 'equalto', 'pass'))
                _loop_vars['still'] = l_1_still
                yield '\nDrift against base '
                yield str(environment.finalize(t_4(environment.getattr(environment.getattr(l_1_ds, 'drift'), 'outcome'))))
                yield ': '
                yield str(environment.finalize(environment.getattr(environment.getattr(l_1_ds, 'drift'), 'reason')))
                yield '\n'
                if (undefined(name='moved') if l_1_moved is missing else l_1_moved):
                    pass
                    yield '\n| Column | Statistic | Value | Threshold | Verdict | PSI | KS p | Wasserstein |\n|---|---|--:|--:|:-:|--:|--:|--:|\n'
                    for l_2_c in (undefined(name='moved') if l_1_moved is missing else l_1_moved):
                        _loop_vars = {}
                        pass
                        yield '| '
                        yield str(environment.finalize(environment.getattr(l_2_c, 'column')))
                        yield ' | '
                        yield str(environment.finalize(environment.getattr(l_2_c, 'method')))
                        yield ' | '
                        yield str(environment.finalize(t_3('%.4g', environment.getattr(l_2_c, 'value'))))
                        yield ' | '
                        yield str(environment.finalize(t_3('%.4g', environment.getattr(l_2_c, 'threshold'))))
                        yield ' | '
                        yield str(environment.finalize(t_4(environment.getattr(l_2_c, 'outcome'))))
                        yield ' | '
                        yield str(environment.finalize((t_3('%.3g', environment.getattr(l_2_c, 'psi')) if (not t_15(environment.getattr(l_2_c, 'psi'))) else '')))
                        yield ' | '
                        yield str(environment.finalize((t_3('%.3g', environment.getattr(l_2_c, 'ks_pvalue')) if (not t_15(environment.getattr(l_2_c, 'ks_pvalue'))) else '')))
                        yield ' | '
                        yield str(environment.finalize((t_3('%.3g', environment.getattr(l_2_c, 'wasserstein')) if (not t_15(environment.getattr(l_2_c, 'wasserstein'))) else '')))
                        yield ' |\n'
                    l_2_c = missing
                if (undefined(name='still') if l_1_still is missing else l_1_still):
                    pass
                    yield '\n<details><summary>'
                    yield str(environment.finalize(t_6((undefined(name='still') if l_1_still is missing else l_1_still))))
                    yield ' column'
                    yield str(environment.finalize(('s' if (t_6((undefined(name='still') if l_1_still is missing else l_1_still)) != 1) else '')))
                    yield ' without drift</summary>\n\n| Column | Statistic | Value | Threshold |\n|---|---|--:|--:|\n'
                    for l_2_c in (undefined(name='still') if l_1_still is missing else l_1_still):
                        _loop_vars = {}
                        pass
                        yield '| '
                        yield str(environment.finalize(environment.getattr(l_2_c, 'column')))
                        yield ' | '
                        yield str(environment.finalize(environment.getattr(l_2_c, 'method')))
                        yield ' | '
                        yield str(environment.finalize(t_3('%.4g', environment.getattr(l_2_c, 'value'))))
                        yield ' | '
                        yield str(environment.finalize(t_3('%.4g', environment.getattr(l_2_c, 'threshold'))))
                        yield ' |\n'
                    l_2_c = missing
                    yield '\n</details>\n'
                for l_2_error in environment.getattr(environment.getattr(l_1_ds, 'drift'), 'errors'):
                    _loop_vars = {}
                    pass
                    yield '- '
                    yield str(environment.finalize(l_2_error))
                    yield '\n'
                l_2_error = missing
            elif environment.getattr(l_1_ds, 'drift_skipped'):
                pass
                yield '\nDrift against base: '
                yield str(environment.finalize(environment.getattr(l_1_ds, 'drift_skipped')))
                yield '.\n'
            yield '\n'
        l_1_ds = l_1_failed = l_1_moved = l_1_still = missing
    yield '### Params\n\n'
    if (undefined(name='params') if l_0_params is missing else l_0_params):
        pass
        yield '| File | Param | Base | Head |\n|---|---|--:|--:|\n'
        yield str(environment.finalize(environment.getattr((undefined(name='tables') if l_0_tables is missing else l_0_tables), 'changed_params')))
        yield '\n'
        if (undefined(name='unchanged_params') if l_0_unchanged_params is missing else l_0_unchanged_params):
            pass
            yield '\n'
            yield str(environment.finalize((undefined(name='unchanged_params') if l_0_unchanged_params is missing else l_0_unchanged_params)))
            yield ' unchanged param'
            yield str(environment.finalize(('s' if ((undefined(name='unchanged_params') if l_0_unchanged_params is missing else l_0_unchanged_params) != 1) else '')))
            yield ' not shown.\n'
    else:
        pass
        yield 'No param changed.\n'
    if ((environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'errors') or environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'notes')) or (environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'pipeline') and (environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'pipeline'), 'reproduced') or environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'pipeline'), 'skipped')))):
        pass
        yield '\n### Notes\n\n'
        for l_1_error in environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'errors'):
            _loop_vars = {}
            pass
            yield '- Could not read '
            yield str(environment.finalize(environment.getattr(l_1_error, 'file')))
            yield ' at '
            yield str(environment.finalize(environment.getattr(l_1_error, 'rev')))
            yield ': '
            yield str(environment.finalize(environment.getattr(l_1_error, 'message')))
            yield '\n'
        l_1_error = missing
        for l_1_note in environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'notes'):
            _loop_vars = {}
            pass
            yield '- '
            yield str(environment.finalize(l_1_note))
            yield '\n'
        l_1_note = missing
        if (environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'pipeline') and environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'pipeline'), 'reproduced')):
            pass
            yield '- Re-ran the DVC pipeline: '
            yield str(environment.finalize(t_5(context.eval_ctx, environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'pipeline'), 'reproduced'), ', ')))
            yield '.\n'
        for l_1_note in (environment.getattr(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'pipeline'), 'skipped') if environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'pipeline') else ()):
            _loop_vars = {}
            pass
            yield '- '
            yield str(environment.finalize(l_1_note))
            yield '\n'
        l_1_note = missing
    yield '\n<sub>Generated by mlci '
    yield str(environment.finalize(environment.getattr((undefined(name='results') if l_0_results is missing else l_0_results), 'mlci_version')))
    yield '</sub>\n'
    yield str(environment.finalize((undefined(name='marker') if l_0_marker is missing else l_0_marker)))
    yield '\n'

blocks = {}
debug_info = '2=117&3=123&6=133&7=141&13=144&14=148&20=166&23=169&24=171&29=177&31=180&32=184&34=187&38=191&43=194&44=196&45=199&48=202&51=205&54=207&55=211&57=213&60=216&61=219&64=222&65=226&67=232&68=236&70=239&71=243&73=246&74=249&78=252&81=255&84=260&85=263&87=265&88=282&92=285&93=289&96=294&102=297&103=301&110=308&113=311&114=317&115=320&116=326&120=329&121=333&124=340&125=342&126=344&128=347&129=351&133=354&134=358&137=375&139=378&143=382&144=386&149=396&150=400&152=403&154=406&161=411&164=414&165=416&167=419&172=426&176=429&177=433&179=440&180=444&182=447&183=450&185=452&186=456&190=460&191=462'

MLCI_TEMPLATE_KEY = '42afd279a86e365df3371e41aa929a40e7f27dbda69b7829810502e352bded5b'
