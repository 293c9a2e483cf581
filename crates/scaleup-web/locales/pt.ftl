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
dash-reach-by-sex = Alcance por sexo
dash-reach-by-age = Alcance por faixa etária
dash-units-region = Regiões
dash-units-district = Distritos
dash-units-facility = Unidades de saúde
dash-unit = Local
dash-none = Ainda sem números.
dash-counsellors = Conselheiros: fidelidade e dose
dash-counsellor = Conselheiro
dash-suppressed = Contagens abaixo de { $k } aparecem como <{ $k } para que ninguém possa ser reconhecido.
dash-download = Descarregar os números (CSV)
dash-definitions = Os nomes e definições dos indicadores estão em inglês (docs/indicators.md).
