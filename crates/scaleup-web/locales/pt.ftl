### scaleup interface text: Portuguese (português). Same messages as en.ftl, the reference
### catalogue.
### Messages starting with app- also travel to the offline app; they use only variables and
### selectors on a number, and every selector ends with a default *[other] variant.
###
### WORKING TRANSLATION drafted on 2026-12-06 without review by a native speaker.
### meta-reviewed must change to "yes" only after a native speaker has reviewed every message.
###
### Written in the norm used in lusophone Africa and Portugal (utente, registar, guardar,
### nome de utilizador, ecrã, apelido); a Brazilian reviewer may prefer other words.
### Terms used (for the reviewer): client = utente, counsellor = conselheiro,
### supervisor = supervisor, hub = polo, hub manager = gestor do polo, record = ficha,
### session = sessão, risk alert = alerta de risco, acknowledge = confirmar,
### escalated = enviado ao polo, refer = encaminhar, screen = rastrear.
### Plurals: CLDR Portuguese "one" covers 0 and 1, so 0 takes the singular form
### ("0 ficha recebida"); [0] as in English.

## Review status of this catalogue: "yes" once a native speaker has reviewed every message.
meta-reviewed = no

## Frame
skip-to-content = Ir para o conteúdo
nav-label = Principal
nav-today = Hoje
nav-queue = Para analisar
nav-supervision-log = Histórico de supervisão
nav-hub = Polo
sign-out = Sair
language-link = Idioma
language-title = Idioma
language-choose = Escolha o idioma da interface
language-unreviewed = ainda não verificado por um falante nativo
language-unreviewed-note = Esta tradução ainda não foi verificada por um falante nativo.
language-unknown = Esse idioma não está disponível.
save = Guardar
cancel = Cancelar
back = Voltar

## Sign-in
signin-title = Entrar
signin-lead = Entre com o nome de utilizador e a senha que o seu polo lhe deu.
field-username = Nome de utilizador
field-password = Senha
sign-in = Entrar
signin-missing = Escreva o seu nome de utilizador e a sua senha.
signin-invalid = Nome de utilizador ou senha errados.
signin-wait-seconds = { $n ->
    [one] Demasiadas tentativas falhadas. Tente de novo dentro de { $n } segundo.
   *[other] Demasiadas tentativas falhadas. Tente de novo dentro de { $n } segundos.
}
signin-wait-minutes = { $n ->
    [one] Demasiadas tentativas falhadas. Tente de novo dentro de { $n } minuto.
   *[other] Demasiadas tentativas falhadas. Tente de novo dentro de { $n } minutos.
}
signin-locked = Demasiadas tentativas falhadas nesta conta. Entre num telemóvel ou computador onde já tenha entrado antes, ou peça ao gestor do seu polo que reponha a sua senha.
signin-busy = { $n ->
    [one] O servidor está ocupado. Tente de novo dentro de { $n } segundo.
   *[other] O servidor está ocupado. Tente de novo dentro de { $n } segundos.
}

## Roles and home
home-title = Boas-vindas
home-role = Entrou como { $role }.
home-api = Os dados do programa, as análises e as exportações estão disponíveis através da API:
role-admin = administrador
role-hub_manager = gestor do polo
role-supervisor = supervisor
role-counsellor = conselheiro
role-researcher = investigador
role-viewer = observador

## Errors
error-forbidden = O seu perfil não permite abrir esta página.
error-not-found = Esta página não existe ou não pertence aos seus utentes.
error-form-expired = Este formulário expirou ou não veio do scaleup. Recarregue a página e tente de novo.

## Supervisor: queue
queue-title = Lista para analisar
queue-lead = Utentes dos seus conselheiros que precisam de atenção, os mais urgentes primeiro.
queue-empty = Nada precisa da sua atenção neste momento.
queue-alerts = Alertas de risco abertos
queue-flagged = Utentes sinalizados
queue-client = Utente
queue-counsellor = Conselheiro
queue-flags = Motivo
queue-due = Responder até
queue-overdue = em atraso
flag-risk = Alerta de risco
flag-no_improvement = Sem melhoria
flag-missed_sessions = Faltou a sessões
flag-overdue = Sessão em atraso
flag-dropout = Abandonou
acknowledge = Confirmar
open-client = Ver utente
queue-counsellors = Os seus conselheiros
queue-coaching = Acompanhamento
queue-rate = Avaliar competências
alert-level-urgent = Urgente
alert-level-routine = Normal
alert-status-open = Aberto
alert-status-acknowledged = Confirmado
alert-status-escalated = Enviado ao polo

## Supervisor: alert
alert-title = Alerta de risco
alert-raised = Emitido
alert-rule = Motivo
alert-history = O que foi feito
alert-history-empty = Ainda nada registado.
alert-ack-title = Confirmar e agir
alert-ack-actions = O que fez? Escolha tudo o que se aplica.
alert-note = Nota (opcional)
alert-note-hint = Não escreva aqui o nome do utente.
alert-followup-title = Acrescentar um seguimento
alert-ack-done = Confirmado.
alert-followup-done = Seguimento guardado.
alert-choose-action = Escolha pelo menos uma ação.
action-contacted_client = Utente contactado
action-safety_plan_made = Plano de segurança feito
action-referred_emergency = Encaminhado para a urgência
action-referred_specialist = Encaminhado para um especialista
action-home_visit = Visita ao domicílio
action-risk_assessed_low = Risco avaliado como baixo
action-called_counsellor = Telefonou ao conselheiro
action-visited_with_counsellor = Visita com o conselheiro
action-supervision_scheduled = Supervisão marcada
action-client_not_reached = Tentou, mas não conseguiu falar com o utente
history-acknowledge = Confirmado
history-follow_up = Seguimento
history-escalate = Enviado ao polo

## Supervisor: client
client-title = Utente { $code }
client-programme = Programa
client-counsellor = Conselheiro
client-status = Estado
client-sessions = Sessões frequentadas
client-trend = Evolução dos resultados
client-records = Fichas
client-no-scores = Ainda sem pontuações.
episode-active = Em tratamento
episode-closed = Encerrado
episode-none = Não inscrito

## Supervisor: supervision session
supervision-title = Sessão de supervisão
supervision-date = Data
supervision-minutes = Duração (minutos)
supervision-format = Formato
format-individual = Individual
format-group = Em grupo
format-remote = À distância
supervision-counsellors = Conselheiros presentes
supervision-notes = Notas
supervision-actions = Ações a fazer (uma por linha)
supervision-saved = Sessão de supervisão guardada.
supervision-recent = Sessões de supervisão recentes

## Supervisor: competency rating
rating-title = Avaliação de competências: { $name }
rating-lead = Para cada competência, responda a três perguntas. O nível é calculado a partir das suas respostas.
rating-method = Como observou?
method-role_play = Dramatização
method-observed_session = Sessão observada
method-recorded_session = Sessão gravada
rating-harmful = Comportamento pouco útil ou prejudicial observado
rating-basic = Competências básicas demonstradas
basic-none = Nenhuma
basic-some = Algumas
basic-all = Todas
rating-advanced = Pelo menos uma competência avançada demonstrada
rating-level = Nível { $level }
rating-saved = Avaliação guardada.
rating-safety-flag = Uma competência foi avaliada no nível prejudicial: foi enviado um sinal de segurança de supervisão ao responsável clínico do polo.
yes = Sim
no = Não

## Supervisor: coaching view
coaching-title = Acompanhamento: { $name }
coaching-lead = Para conversas de acompanhamento, não para classificar.
coaching-caseload = Utentes ativos
coaching-sessions-week = Sessões por semana (últimas 8 semanas)
coaching-components = Componentes do protocolo realizados
coaching-improving = Utentes que estão a melhorar
coaching-competency = Níveis de competência ao longo do tempo
coaching-no-ratings = Ainda sem avaliações de competências.

## Hub
hub-title = Polo
hub-flags = Sinais de segurança de supervisão
hub-flags-empty = Nenhum sinal de segurança aberto.
hub-escalated = Alertas de risco enviados ao polo
hub-escalated-empty = Nenhum alerta enviado ao polo.

## The offline app (messages the device formats itself)
app-title = Hoje
app-today = Hoje
app-new-client = Novo utente
app-send-now = Enviar agora
app-pending = { $n ->
    [0] Nada pendente
    [one] { $n } ficha pendente
   *[other] { $n } fichas pendentes
}
app-sending = A enviar…
app-offline = Sem internet: as fichas ficam guardadas neste telefone e são enviadas quando voltar a ter internet.
app-online = Com internet
app-unreachable = Não é possível contactar o servidor. As suas fichas ficam guardadas neste telefone e serão enviadas mais tarde.
app-last-sync = Último envio: { $when }
app-never-synced = Ainda não enviado
app-storage-persisted = Armazenamento: guardado pelo navegador
app-storage-not-persisted = Armazenamento: o navegador pode apagá-lo se o telefone ficar sem espaço. Adicione o scaleup ao ecrã inicial para o manter.
app-no-indexeddb = Este navegador não consegue guardar fichas sem internet (navegação privada?). Não registe nada até usar uma janela normal do navegador.
app-signed-out = Saiu da sua conta. Entre com internet para usar o scaleup neste telefone.
app-session-ended = O seu acesso expirou. Entre de novo para enviar as suas fichas; nada se perdeu.
app-sign-in = Entrar
app-first-sync = A receber a sua lista de utentes…
app-first-sync-progress = { $n ->
    [one] { $n } ficha recebida
   *[other] { $n } fichas recebidas
}
app-update-ready = Há uma atualização pronta. Será aplicada quando terminar este formulário.
app-update-apply = Atualizar agora
app-section-alerts = Alertas de risco abertos
app-section-due = Para hoje
app-section-overdue = Em atraso
app-section-missed = Sessões faltadas
app-section-upcoming = Próximas
app-nothing-due = Nenhuma sessão para hoje.
app-session-n = Sessão { $n }
app-due-on = Prevista para { $date }
app-overdue-days = { $n ->
    [one] { $n } dia de atraso
   *[other] { $n } dias de atraso
}
app-alert-open = Alerta de risco: à espera do seu supervisor
app-alert-acknowledged = Alerta de risco confirmado pelo seu supervisor
app-alert-escalated = Alerta de risco enviado ao polo
app-outbox = Fichas neste telefone
app-outbox-empty = Todas as fichas foram enviadas.
app-status-pending = pendente
app-status-sent = enviada
app-status-rejected = recusada
app-status-conflict = enviada, para revisão do supervisor
app-discard = Descartar
app-download-unsent = Descarregar as fichas não enviadas
app-kind-client = Utente
app-kind-client_identity = Contactos
app-kind-consent = Consentimento
app-kind-assessment = Avaliação
app-kind-eligibility = Elegibilidade
app-kind-episode = Inscrição
app-kind-session = Sessão
app-kind-referral = Encaminhamento
app-signout-title = Sair
app-signout-unsent = { $n ->
    [one] { $n } ficha ainda não foi enviada.
   *[other] { $n } fichas ainda não foram enviadas.
}
app-signout-explain = As fichas não enviadas ficam neste telefone, escondidas de outras pessoas, e são enviadas da próxima vez que entrar aqui. Também as pode descarregar agora.
app-signout-anyway = Sair mesmo assim
app-stay = Não sair
app-client-given-name = Nome próprio
app-client-family-name = Apelido
app-client-phone = Telefone
app-client-sex = Sexo
app-sex-female = Feminino
app-sex-male = Masculino
app-sex-other = Outro
app-sex-unknown = Não registado
app-client-birth-year = Ano de nascimento
app-client-facility = Unidade de saúde
app-client-programme = Programa
app-consent-treatment = O utente aceita ser rastreado e tratado
app-consent-research = O utente aceita que os seus dados anonimizados sejam usados em investigação
app-consent-required = O utente tem de aceitar ser rastreado e tratado antes de o inscrever.
app-required = Obrigatório.
app-invalid-year = Escreva um ano entre { $min } e { $max }.
app-save = Guardar
app-cancel = Cancelar
app-episode-active = Em tratamento
app-episode-closed = Tratamento terminado
app-episode-none = Não inscrito
app-saved-pending = Guardado neste telefone. Será enviado quando tiver internet.
app-client-page = Utente
app-screen = Rastrear com { $instrument }
app-measure = Avaliar com { $instrument }
app-enrol = Oferecer tratamento
app-record-decision = Registar a decisão
app-record-session = Registar uma sessão
app-refer = Encaminhar
app-close-episode = Encerrar tratamento
app-next-step = Próximo passo
app-sessions-attended = { $n ->
    [one] { $n } sessão frequentada
   *[other] { $n } sessões frequentadas
}
app-trend = Evolução dos resultados
app-no-trend = Ainda sem pontuações.
app-item-n = Pergunta { $n }
app-fallback-marker = (em inglês: ainda não traduzido)
app-answered = { $n } de { $total } respondidas
app-score = Pontuação
app-total = Total: { $total }
app-band = { $band }
app-incomplete = Incompleto: responda a todas as perguntas para obter um total.
app-incomplete-missing = Responda a todas as perguntas antes de guardar. Sem resposta: { $items }.
app-risk-flag = Risco: { $message }
app-server-score = Confirmado pelo servidor: total { $total }
app-eligible = Elegível para { $programme }: ofereça o tratamento.
app-not-eligible = Não elegível para { $programme } segundo a regra do protocolo.
app-excluded-refer = Encaminhe: o protocolo exclui o tratamento neste caso ({ $rule }). Siga os passos de segurança.
app-excluded = Não elegível: excluído pelo protocolo ({ $rule }).
app-safety-title = Passos de segurança
app-safety-step = Passo { $n } de { $total }
app-safety-ask-title = Perguntar
app-safety-ask = Pergunte com calma e diretamente: “Tem tido pensamentos de pôr fim à sua vida? Já fez um plano? Tem os meios para o fazer?” Ouça sem julgar.
app-safety-keep-title = Manter em segurança
app-safety-keep = Se o utente tem um plano ou os meios, ou já tentou pô-lo em prática: não o deixe sozinho, retire os meios se o puder fazer em segurança, e envolva alguém da confiança dele.
app-safety-call-title = Ligar
app-safety-call = Ligue agora ao seu supervisor. O seu supervisor já foi alertado e tem de responder dentro de { $hours } horas.
app-safety-call-who = O seu supervisor: { $name }
app-safety-emergency = Se houver perigo imediato, ligue para o número de emergência local.
app-safety-record-title = Registar
app-safety-record = Registe o que fez. Se encaminhou o utente, registe agora o encaminhamento.
app-safety-next = Seguinte
app-safety-done = Concluído
app-safety-source = Segundo o Guia de Intervenção mhGAP 2.0 da OMS, módulo Autolesão/Suicídio.
app-offer-accepted = O utente aceita o tratamento
app-offer-declined = O utente recusa
app-decline-reason = Motivo da recusa
app-decline-no_time = Sem tempo
app-decline-distance = Muito longe
app-decline-cost = Custo
app-decline-family_objection = A família opõe-se
app-decline-stigma = Estigma
app-decline-not_needed = Acha que não precisa
app-decline-prefers_other_care = Prefere outros cuidados
app-decline-other = Outro
app-session-number = Número da sessão
app-session-date = Data
app-session-attendance = O utente veio?
app-session-attended = O utente compareceu
app-session-missed = O utente não veio
app-session-minutes = Duração (minutos)
app-session-modality = Como
app-modality-individual = Presencial
app-modality-group = Em grupo
app-modality-remote = Por telefone
app-session-components = O que abordou?
app-planned = previsto para esta sessão
app-date-future = A data não pode ser no futuro.
app-refer-to = Encaminhar para
app-service-primary_care_doctor = Médico de cuidados primários
app-service-psychiatry = Psiquiatria
app-service-emergency = Serviço de urgência
app-service-social_services = Serviços sociais
app-service-other = Outro serviço
app-refer-reason = Motivo
app-reason-suicide_risk = Risco de suicídio
app-reason-no_improvement = Sem melhoria
app-reason-psychosis = Possível psicose
app-reason-medical = Problema médico
app-reason-other = Outro
app-urgency = Urgência
app-urgency-routine = Normal
app-urgency-urgent = Urgente
app-urgency-emergency = Emergência
app-close-reason = Porque termina o tratamento?
app-closure-completed = Concluído
app-closure-dropped_out = Abandonou
app-closure-referred = Encaminhado
app-closure-transferred = Transferido
app-closure-died = Faleceu
app-close-date = Data
app-not-found = Este utente não está neste telefone.
app-error-reason = Motivo: { $message }
app-search = Procurar um utente
app-all-clients = Todos os meus utentes
app-show-all = Mostrar todos ({ $n })
app-no-clients = Ainda sem utentes. Registe um com “Novo utente”.

## Programme dashboard
nav-dashboard = Painel
dash-title = Painel do programa
dash-forbidden = A sua função não inclui os números do programa. Peça-os ao gestor do seu polo.
dash-bad-level = Escolha uma região ou um distrito na tabela do painel.
dash-no-unit = Este programa não tem números para esse local. Volte a todos os locais.
dash-programme = Programa
dash-show = Mostrar
dash-choose = Escolha um programa para ver os seus números.
dash-scope = Onde
dash-all-units = Todos os locais
dash-cascade = Cobertura efetiva: pessoas com necessidade alcançadas em cada etapa
dash-months = Rastreados e inscritos, mês a mês
dash-targets = Face às metas do protocolo
dash-target-at-least = meta: pelo menos { $share }
dash-target-at-most = meta: no máximo { $share }
dash-target-source = Meta definida por: { $source }
dash-reach-by-sex = Alcance por sexo
dash-reach-by-age = Alcance por faixa etária
dash-units-region = Regiões
dash-units-district = Distritos
dash-units-facility = Unidades de saúde
dash-unit = Local
dash-none = Ainda sem números.
dash-counsellors = Conselheiros: fidelidade, dose e competência
dash-counsellor = Conselheiro
dash-suppressed = Contagens abaixo de { $k } aparecem como <{ $k } para que ninguém possa ser reconhecido.
dash-download = Descarregar os números (CSV)
dash-costs-link = Custo de implementação por cliente, ano a ano
cost-title = Custo de implementação
cost-note = Todos os programas do hub: as sessões, a supervisão e a formação registadas em cada ano, valorizadas com as listas de preços que o hub guardou (custo de implementação de Proctor).
cost-year = Ano
cost-clients = Clientes alcançados
cost-sessions = Sessões
cost-total = Custo total
cost-per-client = Custo por cliente
cost-per-session = Custo por sessão
cost-price-list = Lista de preços
cost-missing = Anos sem custo calculado
cost-no-prices = Não há lista de preços para { $hub } em { $year }.
cost-upload = Carregar uma lista de preços
cost-no-activity = Ainda não há atividade registada.
dash-definitions = Os nomes dos indicadores estão traduzidos; as suas definições estão em inglês (docs/indicators.md).
dash-every = Todos os indicadores
dash-every-note = Desde o início, para o local acima. Abra um quadro para ver os seus indicadores, sobre que total são calculados e como são definidos.

## Indicator and framework names (the dashboard): names only, definitions stay in English.
## Working translation, not yet reviewed (see the top of this file). Reach = alcance (as
## dash-reach-by-sex), treatment gap = lacuna de tratamento.
ind-framework-reach = RE-AIM: Alcance
ind-framework-effectiveness = RE-AIM: Efetividade
ind-framework-adoption = RE-AIM: Adoção
ind-framework-implementation = RE-AIM: Implementação
ind-framework-maintenance = RE-AIM: Manutenção
ind-framework-proctor = Resultados de implementação (Proctor)
ind-framework-coverage = Cobertura efetiva e lacuna de tratamento
ind-registered = Utentes registados
ind-screened = Utentes rastreados
ind-eligible = Utentes elegíveis
ind-offered = Utentes elegíveis a quem foi oferecido tratamento
ind-enrolled = Utentes inscritos
ind-reach = Alcance (inscritos ÷ elegíveis)
ind-reach_participation = Participação entre quem recebeu a oferta
ind-reach_conservative = Alcance conservador
ind-eligible_non_participants = Utentes elegíveis que não participam
ind-declined = Recusaram a oferta
ind-decline_reason_no_time = Recusa: falta de tempo
ind-decline_reason_distance = Recusa: distância
ind-decline_reason_cost = Recusa: custo
ind-decline_reason_family_objection = Recusa: oposição da família
ind-decline_reason_stigma = Recusa: estigma
ind-decline_reason_not_needed = Recusa: não sente necessidade
ind-decline_reason_prefers_other_care = Recusa: prefere outros cuidados
ind-decline_reason_other = Recusa: outro motivo
ind-completion = Conclusão do tratamento
ind-dropout = Abandono
ind-phq9_response = Resposta no PHQ-9
ind-phq9_remission = Remissão no PHQ-9 (< 5)
ind-phq9_mean_change = Variação média no PHQ-9
ind-outcome_response = Resposta no resultado principal
ind-outcome_remission = Remissão no resultado principal
ind-outcome_mean_change = Variação média no resultado principal
ind-reliable_improvement = Melhoria fiável (RCI)
ind-reliable_deterioration = Deterioração fiável (RCI)
ind-adverse_events = Alertas de risco durante o acompanhamento
ind-adoption_facilities = Unidades de saúde a realizar sessões
ind-adoption_counsellors = Conselheiros formados a realizar sessões
ind-fidelity = Fidelidade (componentes realizados)
ind-dose = Dose (sessões frequentadas ÷ previstas)
ind-adequate_dose = Dose adequada atingida
ind-competency_level_1 = Avaliações de competência no nível 1 (prejudicial)
ind-competency_level_2 = Avaliações de competência no nível 2
ind-competency_level_3 = Avaliações de competência no nível 3
ind-competency_level_4 = Avaliações de competência no nível 4
ind-counsellors_competent = Conselheiros competentes (todas as competências ≥ nível 3)
ind-supervision_coverage = Cobertura de supervisão (últimos 30 dias)
ind-alert_response_median_hours = Tempo de resposta a alertas de risco, mediana
ind-alert_response_p90_hours = Tempo de resposta a alertas de risco, percentil 90
ind-alert_response_within_limit = Alertas de risco confirmados dentro do prazo do protocolo
ind-maintenance_facilities = Locais que continuam a realizar sessões 6 meses após o fim do apoio
ind-maintenance_followup = Seguimento 6 meses após o último contacto
ind-maintenance_response = Resposta mantida 6 meses após o último contacto
ind-penetration_clients = Penetração (utentes)
ind-penetration_providers = Penetração (prestadores)
ind-acceptability_aim = Aceitabilidade (média AIM)
ind-appropriateness_iam = Adequação (média IAM)
ind-feasibility_fim = Exequibilidade (média FIM)
ind-need = População com necessidade de cuidados
ind-coverage_contact = Cobertura de contacto
ind-coverage_adequate_dose = Cobertura com dose adequada
ind-coverage_quality = Cobertura ajustada pela qualidade
ind-coverage_effective = Cobertura efetiva
ind-treatment_gap = Lacuna de tratamento

## Hub console (hub managers and admins)
nav-console = Consola
console-tabs-label = Consola do polo
console-users = Utilizadores
console-org-units = Unidades
console-programmes = Programas
console-definitions = Definições
console-audit = Registo de auditoria
console-conflicts = Conflitos de sincronização
console-users-title = Utilizadores
console-users-caption = Contas que gere, por nome de utilizador
console-username = Nome de utilizador
console-display-name = Nome
console-role = Perfil
console-all-hubs = Todos os polos
console-hub = Polo
console-status = Estado
console-actions = Ações
console-active = Ativo
console-deactivated = Desativado
console-deactivate = Desativar
console-reactivate = Reativar
console-move = Transferir utentes
console-reset-password = Repor a palavra-passe
console-new-password = Nova palavra-passe
console-next-page = Página seguinte
console-create-user = Nova conta
console-supervisor = Supervisor (para um conselheiro)
console-password = Palavra-passe
console-create = Criar conta
console-role-required = Escolha um perfil para a conta.
console-deactivate-self = Não pode desativar a sua própria conta: peça a outro gestor do polo ou a um administrador.
console-move-title = Transferir utentes
console-move-heading = Transferir os utentes de { $name }
console-move-to = Conselheiro que assume
console-move-confirm = Transferir os utentes ativos de { $from } para { $to }?
console-move-history = As fichas, alertas abertos e histórico de cada utente acompanham-no; a transferência fica no registo de auditoria. Os utentes cujo acompanhamento terminou ficam com o seu conselheiro.
console-move-do = Transferir
console-move-none = Não há outro conselheiro ativo neste polo para assumir estes utentes.
console-move-choose = Escolha o conselheiro que assume.
console-continue = Continuar
console-not-counsellor = Só se podem transferir os utentes de um conselheiro.
console-org-units-title = Unidades
console-org-units-intro = A necessidade de cuidados é a população da área multiplicada pela prevalência: indique ambas e a fonte da prevalência.
console-name = Nome
console-catchment = População da área
console-prevalence = Prevalência (%)
console-prevalence-hint = Uma percentagem, por exemplo 4.5. Deixe em branco para a apagar.
console-prevalence-source = Fonte da prevalência
console-catchment-invalid = População da área: indique um número inteiro de pessoas.
console-prevalence-invalid = Prevalência: indique uma percentagem entre 0 e 100.
console-none = Nada a mostrar por agora.
console-programmes-title = Programas
console-protocol = Protocolo
console-alert-hours = Horas para confirmar um alerta de risco
console-hours-invalid = Horas para confirmar: indique um número inteiro de horas.
console-definitions-title = Definições
console-upload = Enviar um ficheiro de definição
console-file = Ficheiro (TOML, ou XLSForm .xlsx)
console-file-hint = Um ficheiro de instrumento, protocolo, quadro de competências, textos de itens ou lista de preços, até 512 KB. Aplica-se logo, sem reiniciar.
console-xlsform-hint = Um XLSForm (.xlsx) torna-se um instrumento, com os textos dos itens para cada outra língua: perguntas select_one com escolhas numéricas inteiras e perguntas integer com um intervalo. Tudo o resto é recusado com a folha, a linha e a coluna.
console-licence = Licença do texto de um XLSForm
console-licence-unknown = Não indicada: não guardar texto
console-licence-attribution = Livre com atribuição: guardar o texto
console-licence-open = Aberta: guardar o texto
console-scope = Aplica-se a
console-scope-network = Todos os polos (toda a rede)
console-upload-do = Enviar
console-upload-refused = Este ficheiro não foi guardado:
console-upload-fix = Corrija o ficheiro na linha indicada e envie-o de novo. Nada foi alterado.
console-line = Linha
console-field = Campo
console-problem = Problema
console-definitions-stored = Ficheiros guardados
console-definitions-version = Versão das definições em vigor: { $version }.
console-definitions-none = Nenhum ficheiro enviado: aplicam-se as definições incluídas.
console-kind = Tipo
console-code = Código
console-version = Versão
console-added = Adicionado
console-hub-required = Escolha o polo a que o ficheiro se aplica.
console-file-required = Escolha um ficheiro para enviar.
console-file-too-large = O ficheiro é demasiado grande: um ficheiro de definição tem no máximo 512 KB.
console-file-not-text = O ficheiro não é texto UTF-8: guarde-o como TOML UTF-8 e envie-o de novo.
console-audit-title = Registo de auditoria
console-audit-actor = Quem (nome de utilizador)
console-audit-action = Ação
console-audit-action-hint = Basta o início de uma ação: user. encontra todos os eventos de contas.
console-audit-from = De
console-audit-to = Até
console-audit-at = Quando (UTC)
console-audit-entity = O quê
console-audit-none = Nenhum evento corresponde.
console-audit-system = sistema
console-audit-bad-date = { $field }: indique uma data no formato AAAA-MM-DD.
console-filter = Filtrar
console-clear = Limpar
console-older = Eventos mais antigos
console-conflicts-title = Conflitos de sincronização
console-conflicts-intro = Um telemóvel enviou uma alteração de uma ficha que entretanto mudou no servidor. Compare os campos e guarde uma versão; ambas ficam no histórico da ficha.
console-conflicts-none = Nenhum conflito aberto.
console-conflict-by = Enviado por { $author } em { $time } · utentes de { $counsellor }
console-conflict-server = No servidor
console-conflict-incoming = Do telemóvel
console-keep-server = Manter a versão do servidor
console-keep-incoming = Manter a versão do telemóvel
console-done-created = A conta foi criada.
console-done-deactivated = A conta foi desativada e as suas sessões terminadas.
console-done-reactivated = A conta foi reativada.
console-done-password = A palavra-passe foi reposta e as sessões da conta terminadas.
console-done-moved = Os utentes foram transferidos.
console-done-saved = Guardado.
console-done-uploaded = O ficheiro foi guardado e aplica-se já, em todos os servidores.
console-done-resolved = O conflito foi resolvido.
error-refused = O seu perfil ({ $role }) não permite { $action }. Quem pode: { $who }. Peça a um deles, ou volte à sua página inicial.
capability-open_hub_console = abrir a consola do polo
capability-manage_users = criar, desativar ou repor contas
capability-move_caseloads = transferir utentes para outro conselheiro
capability-manage_hub_setup = configurar unidades e programas
capability-manage_definitions = enviar ficheiros de definição
capability-manage_network_definitions = enviar ficheiros de definição para toda a rede
capability-read_audit = ler o registo de auditoria
capability-review_clinical = rever alertas de risco e conflitos de sincronização
console-move-active = { $count ->
    [one] { $count } utente ativo será transferido.
   *[other] { $count } utentes ativos serão transferidos.
}
console-move-ended = { $count ->
    [one] { $count } utente com acompanhamento terminado fica.
   *[other] { $count } utentes com acompanhamento terminado ficam.
}
console-password-hint = { $count ->
    [one] Pelo menos { $count } carácter. As sessões da conta terminam quando é reposta.
   *[other] Pelo menos { $count } caracteres. As sessões da conta terminam quando é reposta.
}

## Record imports (issue 9): the import page, for the roles that write care records
nav-imports = Importar registos
capability-write_care_records = registar ou importar registos de cuidados
imports-title = Importar registos
imports-intro = Os registos exportados do ODK Central, KoboToolbox, REDCap ou DHIS2 Tracker passam pelas mesmas verificações, pontuações, alertas de risco e auditoria que os enviados de um telemóvel, gravados em seu nome. Comece por um ensaio: lê e verifica cada linha e não grava nada.
imports-source = Origem
imports-source-odk = ODK Central ou KoboToolbox (CSV das submissões, zip do Central ou XLSX do Kobo)
imports-source-redcap = REDCap (exportação plana de registos, CSV)
imports-source-dhis2-tracker = DHIS2 Tracker (conteúdo JSON)
imports-file = Ficheiro de dados
imports-file-hint = A exportação tal como o sistema de origem a escreve, em UTF-8, no máximo { $size }.
imports-file-zip = O zip de exportação do ODK Central (todas as submissões, tal como é descarregado) pode ser escolhido tal como está: o CSV de cada grupo de repetição é lido dele, por isso deixe “Grupos de repetição” vazio.
imports-file-xlsx = Também pode ser escolhida a exportação XLSX do KoboToolbox (“valores e cabeçalhos XML”): cada grupo de repetição é lido da sua própria folha, por isso deixe “Grupos de repetição” vazio.
imports-mapping = Ficheiro de correspondência (TOML)
imports-mapping-hint = Diz que coluna passa a que campo do scaleup (docs/interoperability.md, Imports).
imports-repeats = Grupos de repetição (ODK Central, opcional)
imports-repeats-hint = O CSV de cada grupo de repetição da mesma exportação do Central (formulario-grupo.csv), para os [[repeats]] do ficheiro de correspondência. Pode escolher vários.
imports-programme = Programa (só DHIS2 Tracker)
imports-programme-none = Nenhum (não é DHIS2)
imports-dry-run = Ensaio: verificar e contar, não gravar nada
imports-do = Carregar
imports-result-dry = Ensaio de { $file }: nada foi gravado
imports-result = { $file } importado
imports-rows = Linhas lidas
imports-rows-refused = Linhas recusadas
imports-created = Registos criados
imports-updated = Registos atualizados
imports-unchanged = Registos sem alteração
imports-conflicts = Guardados como conflitos de sincronização para rever
imports-rejected = Registos rejeitados
imports-would-create = Registos que seriam criados
imports-would-replace = Registos que já existem (atualizados ou sem alteração)
imports-problems = Problemas (ficheiro, linha e coluna)
imports-problems-more = Problemas no total: { $count }. São listados os primeiros { $shown }.
imports-none = Sem problemas.
imports-dry-next = Nada foi gravado. Para importar, escolha de novo os mesmos ficheiros, desmarque o ensaio e carregue.
imports-source-required = Escolha a origem do ficheiro.
imports-file-required = Escolha o ficheiro de dados.
imports-mapping-required = Escolha o ficheiro de correspondência.
imports-mapping-too-large = O ficheiro de correspondência é demasiado grande: no máximo 1 MiB.
imports-mapping-not-text = O ficheiro de correspondência não é texto UTF-8: guarde-o em UTF-8 e carregue-o de novo.
imports-too-large = O carregamento é demasiado grande: no máximo { $size }. Importe ficheiros maiores com scaleup import no servidor.
imports-busy = Estão a decorrer outras importações. Aguarde um minuto e volte a enviar os ficheiros.
imports-too-slow = O carregamento demorou demasiado a chegar. Tente com uma ligação melhor ou divida o ficheiro.
imports-unreadable = Não foi possível ler o carregamento: escolha os ficheiros e carregue-os de novo.
imports-refused = Esta importação não foi feita e nada foi gravado
