### scaleup interface text: Spanish (español). Same messages as en.ftl, the reference catalogue.
### Messages starting with app- also travel to the offline app; they use only variables and
### selectors on a number, and every selector ends with a default *[other] variant.
###
### WORKING TRANSLATION drafted on 2026-12-06 without review by a native speaker.
### meta-reviewed must change to "yes" only after a native speaker has reviewed every message.
###
### Written for Latin America, addressing the user as "usted".
### Terms used (for the reviewer): client = paciente ("usuario" would clash with
### "nombre de usuario"), counsellor = consejero, supervisor = supervisor, hub = sede,
### hub manager = responsable de la sede, record = registro, session = sesión,
### sign in / out = entrar / salir (not "iniciar sesión", to keep "sesión" for counselling
### sessions), risk alert = alerta de riesgo, acknowledge = confirmar,
### escalated = enviada a la sede, refer = derivar, screen = tamizaje.
### Plurals: CLDR Spanish "one" is 1 only; [0] as in English.

## Review status of this catalogue: "yes" once a native speaker has reviewed every message.
meta-reviewed = no

## Frame
skip-to-content = Ir al contenido
nav-label = Principal
nav-today = Hoy
nav-queue = Por revisar
nav-supervision-log = Registro de supervisión
nav-hub = Sede
sign-out = Salir
language-link = Idioma
language-title = Idioma
language-choose = Elija el idioma de la interfaz
language-unreviewed = aún no revisado por un hablante nativo
language-unreviewed-note = Esta traducción aún no ha sido revisada por un hablante nativo.
language-unknown = Ese idioma no está disponible.
save = Guardar
cancel = Cancelar
back = Volver

## Sign-in
signin-title = Entrar
signin-lead = Entre con el nombre de usuario y la contraseña que le dio su sede.
field-username = Nombre de usuario
field-password = Contraseña
sign-in = Entrar
signin-missing = Escriba su nombre de usuario y su contraseña.
signin-invalid = Nombre de usuario o contraseña incorrectos.
signin-wait-seconds = { $n ->
    [one] Demasiados intentos fallidos. Vuelva a intentarlo en { $n } segundo.
   *[other] Demasiados intentos fallidos. Vuelva a intentarlo en { $n } segundos.
}
signin-wait-minutes = { $n ->
    [one] Demasiados intentos fallidos. Vuelva a intentarlo en { $n } minuto.
   *[other] Demasiados intentos fallidos. Vuelva a intentarlo en { $n } minutos.
}
signin-locked = Demasiados intentos fallidos en esta cuenta. Entre desde un teléfono o una computadora donde ya haya entrado antes, o pida al responsable de su sede que restablezcan su contraseña.
signin-busy = { $n ->
    [one] El servidor está ocupado. Vuelva a intentarlo en { $n } segundo.
   *[other] El servidor está ocupado. Vuelva a intentarlo en { $n } segundos.
}

## Roles and home
home-title = Bienvenida
home-role = Ha entrado como { $role }.
home-api = Los datos del programa, los análisis y las exportaciones están disponibles a través de la API:
role-admin = administrador
role-hub_manager = responsable de la sede
role-supervisor = supervisor
role-counsellor = consejero
role-researcher = investigador
role-viewer = observador

## Errors
error-forbidden = Su rol no permite abrir esta página.
error-not-found = Esta página no existe o no corresponde a sus pacientes.
error-form-expired = Este formulario caducó o no viene de scaleup. Vuelva a cargar la página e inténtelo de nuevo.

## Supervisor: queue
queue-title = Lista por revisar
queue-lead = Pacientes de sus consejeros que necesitan atención, los más urgentes primero.
queue-empty = Nada necesita su atención en este momento.
queue-alerts = Alertas de riesgo abiertas
queue-flagged = Pacientes señalados
queue-client = Paciente
queue-counsellor = Consejero
queue-flags = Motivo
queue-due = Responder antes de
queue-overdue = atrasado
flag-risk = Alerta de riesgo
flag-no_improvement = No mejora
flag-missed_sessions = Faltó a sesiones
flag-overdue = Sesión atrasada
flag-dropout = Abandonó
acknowledge = Confirmar
open-client = Ver paciente
queue-counsellors = Sus consejeros
queue-coaching = Acompañamiento
queue-rate = Evaluar competencias
alert-level-urgent = Urgente
alert-level-routine = Normal
alert-status-open = Abierta
alert-status-acknowledged = Confirmada
alert-status-escalated = Enviada a la sede

## Supervisor: alert
alert-title = Alerta de riesgo
alert-raised = Emitida
alert-rule = Motivo
alert-history = Lo que se ha hecho
alert-history-empty = Aún no hay nada registrado.
alert-ack-title = Confirmar y actuar
alert-ack-actions = ¿Qué hizo? Marque todo lo que corresponda.
alert-note = Nota (opcional)
alert-note-hint = No escriba aquí el nombre del paciente.
alert-followup-title = Agregar un seguimiento
alert-ack-done = Confirmada.
alert-followup-done = Seguimiento guardado.
alert-choose-action = Elija al menos una acción.
action-contacted_client = Se contactó al paciente
action-safety_plan_made = Se hizo un plan de seguridad
action-referred_emergency = Derivado a urgencias
action-referred_specialist = Derivado a un especialista
action-home_visit = Visita domiciliaria
action-risk_assessed_low = Riesgo evaluado como bajo
action-called_counsellor = Se llamó al consejero
action-visited_with_counsellor = Visita con el consejero
action-supervision_scheduled = Supervisión programada
action-client_not_reached = Se intentó, pero no se pudo contactar al paciente
history-acknowledge = Confirmada
history-follow_up = Seguimiento
history-escalate = Enviada a la sede

## Supervisor: client
client-title = Paciente { $code }
client-programme = Programa
client-counsellor = Consejero
client-status = Estado
client-sessions = Sesiones a las que asistió
client-trend = Evolución de los resultados
client-records = Registros
client-no-scores = Aún no hay puntajes.
episode-active = En tratamiento
episode-closed = Cerrado
episode-none = No inscrito

## Supervisor: supervision session
supervision-title = Sesión de supervisión
supervision-date = Fecha
supervision-minutes = Duración (minutos)
supervision-format = Formato
format-individual = Individual
format-group = Grupal
format-remote = A distancia
supervision-counsellors = Consejeros presentes
supervision-notes = Notas
supervision-actions = Acciones a realizar (una por línea)
supervision-saved = Sesión de supervisión guardada.
supervision-recent = Sesiones de supervisión recientes

## Supervisor: competency rating
rating-title = Evaluación de competencias: { $name }
rating-lead = Para cada competencia, responda tres preguntas. El nivel se calcula a partir de sus respuestas.
rating-method = ¿Cómo observó?
method-role_play = Juego de roles
method-observed_session = Sesión observada
method-recorded_session = Sesión grabada
rating-harmful = Se observó una conducta poco útil o dañina
rating-basic = Habilidades básicas demostradas
basic-none = Ninguna
basic-some = Algunas
basic-all = Todas
rating-advanced = Al menos una habilidad avanzada demostrada
rating-level = Nivel { $level }
rating-saved = Evaluación guardada.
rating-safety-flag = Una competencia se evaluó en el nivel dañino: se envió un aviso de seguridad de supervisión al responsable clínico de la sede.
yes = Sí
no = No

## Supervisor: coaching view
coaching-title = Acompañamiento: { $name }
coaching-lead = Para conversaciones de acompañamiento, no para clasificar.
coaching-caseload = Pacientes activos
coaching-sessions-week = Sesiones por semana (últimas 8 semanas)
coaching-components = Componentes del protocolo realizados
coaching-improving = Pacientes que mejoran
coaching-competency = Niveles de competencia en el tiempo
coaching-no-ratings = Aún no hay evaluaciones de competencias.

## Hub
hub-title = Sede
hub-flags = Avisos de seguridad de supervisión
hub-flags-empty = No hay avisos de seguridad abiertos.
hub-escalated = Alertas de riesgo enviadas a la sede
hub-escalated-empty = No hay alertas enviadas a la sede.

## The offline app (messages the device formats itself)
app-title = Hoy
app-today = Hoy
app-new-client = Nuevo paciente
app-send-now = Enviar ahora
app-pending = { $n ->
    [0] Nada pendiente
    [one] { $n } registro pendiente
   *[other] { $n } registros pendientes
}
app-sending = Enviando…
app-offline = Sin conexión: los registros se guardan en este teléfono y se envían cuando vuelva a tener conexión.
app-online = En línea
app-unreachable = No se puede conectar con el servidor. Sus registros se guardan en este teléfono y se enviarán más tarde.
app-last-sync = Último envío: { $when }
app-never-synced = Aún no enviado
app-storage-persisted = Almacenamiento: conservado por el navegador
app-storage-not-persisted = Almacenamiento: el navegador puede borrarlo si el teléfono se queda sin espacio. Agregue scaleup a la pantalla de inicio para conservarlo.
app-no-indexeddb = Este navegador no puede guardar registros sin conexión (¿navegación privada?). No registre nada hasta que use una ventana normal del navegador.
app-signed-out = Ha salido de su cuenta. Entre con conexión a internet para usar scaleup en este teléfono.
app-session-ended = Su acceso ha caducado. Vuelva a entrar para enviar sus registros; no se ha perdido nada.
app-sign-in = Entrar
app-first-sync = Descargando sus pacientes…
app-first-sync-progress = { $n ->
    [one] { $n } registro descargado
   *[other] { $n } registros descargados
}
app-update-ready = Hay una actualización lista. Se aplicará cuando termine este formulario.
app-update-apply = Actualizar ahora
app-section-alerts = Alertas de riesgo abiertas
app-section-due = Para hoy
app-section-overdue = Atrasadas
app-section-missed = Sesiones perdidas
app-section-upcoming = Próximas
app-nothing-due = No hay sesiones para hoy.
app-session-n = Sesión { $n }
app-due-on = Prevista para el { $date }
app-overdue-days = { $n ->
    [one] { $n } día de atraso
   *[other] { $n } días de atraso
}
app-alert-open = Alerta de riesgo: esperando a su supervisor
app-alert-acknowledged = Su supervisor confirmó la alerta de riesgo
app-alert-escalated = Alerta de riesgo enviada a la sede
app-outbox = Registros en este teléfono
app-outbox-empty = Todos los registros se han enviado.
app-status-pending = pendiente
app-status-sent = enviado
app-status-rejected = rechazado
app-status-conflict = enviado, para revisión del supervisor
app-discard = Descartar
app-download-unsent = Descargar mis registros no enviados
app-kind-client = Paciente
app-kind-client_identity = Datos de contacto
app-kind-consent = Consentimiento
app-kind-assessment = Evaluación
app-kind-eligibility = Elegibilidad
app-kind-episode = Inscripción
app-kind-session = Sesión
app-kind-referral = Derivación
app-signout-title = Salir
app-signout-unsent = { $n ->
    [one] { $n } registro aún no se ha enviado.
   *[other] { $n } registros aún no se han enviado.
}
app-signout-explain = Los registros no enviados se quedan en este teléfono, ocultos para otras personas, y se envían la próxima vez que entre aquí. También puede descargarlos ahora.
app-signout-anyway = Salir de todos modos
app-stay = No salir
app-client-given-name = Nombre
app-client-family-name = Apellido
app-client-phone = Teléfono
app-client-sex = Sexo
app-sex-female = Mujer
app-sex-male = Hombre
app-sex-other = Otro
app-sex-unknown = No registrado
app-client-birth-year = Año de nacimiento
app-client-facility = Establecimiento de salud
app-client-programme = Programa
app-consent-treatment = El paciente acepta el tamizaje y el tratamiento
app-consent-research = El paciente acepta que sus datos anonimizados se usen para investigación
app-consent-required = El paciente debe aceptar el tamizaje y el tratamiento antes de que usted lo registre.
app-required = Este dato es obligatorio.
app-invalid-year = Escriba un año entre { $min } y { $max }.
app-save = Guardar
app-cancel = Cancelar
app-episode-active = En tratamiento
app-episode-closed = Tratamiento terminado
app-episode-none = No inscrito
app-saved-pending = Guardado en este teléfono. Se enviará cuando tenga conexión.
app-client-page = Paciente
app-screen = Tamizaje con { $instrument }
app-measure = Aplicar { $instrument }
app-enrol = Ofrecer tratamiento
app-record-decision = Registrar la decisión
app-record-session = Registrar una sesión
app-refer = Derivar
app-close-episode = Cerrar el tratamiento
app-next-step = Siguiente paso
app-sessions-attended = { $n ->
    [one] Asistió a { $n } sesión
   *[other] Asistió a { $n } sesiones
}
app-trend = Evolución de los resultados
app-no-trend = Aún no hay puntajes.
app-item-n = Pregunta { $n }
app-fallback-marker = (en inglés: aún no traducido)
app-answered = { $n } de { $total } respondidas
app-score = Puntaje
app-total = Total: { $total }
app-band = { $band }
app-incomplete = Incompleto: responda todas las preguntas para obtener un total.
app-incomplete-missing = Responda todas las preguntas antes de guardar. Sin respuesta: { $items }.
app-risk-flag = Riesgo: { $message }
app-server-score = Confirmado por el servidor: total { $total }
app-eligible = Elegible para { $programme }: ofrezca el tratamiento.
app-not-eligible = No elegible para { $programme } según la regla del protocolo.
app-excluded-refer = Derive: el protocolo excluye el tratamiento en este caso ({ $rule }). Siga los pasos de seguridad.
app-excluded = No elegible: excluido por el protocolo ({ $rule }).
app-safety-title = Pasos de seguridad
app-safety-step = Paso { $n } de { $total }
app-safety-ask-title = Preguntar
app-safety-ask = Pregunte con calma y de forma directa: “¿Tiene pensamientos de quitarse la vida? ¿Ha hecho un plan? ¿Tiene los medios para hacerlo?” Escuche sin juzgar.
app-safety-keep-title = Proteger
app-safety-keep = Si el paciente tiene un plan o los medios, o ya intentó llevarlo a cabo: no lo deje solo, retire los medios si puede hacerlo sin peligro, e involucre a alguien de su confianza.
app-safety-call-title = Llamar
app-safety-call = Llame ahora a su supervisor. Su supervisor ya recibió una alerta y debe responder en un plazo de { $hours } horas.
app-safety-call-who = Su supervisor: { $name }
app-safety-emergency = Si hay peligro inmediato, llame al número local de emergencias.
app-safety-record-title = Registrar
app-safety-record = Registre lo que hizo. Si derivó al paciente, registre la derivación ahora.
app-safety-next = Siguiente
app-safety-done = Listo
app-safety-source = Según la Guía de Intervención mhGAP 2.0 de la OMS, módulo Autolesión/Suicidio.
app-offer-accepted = El paciente acepta el tratamiento
app-offer-declined = El paciente no acepta
app-decline-reason = Motivo por el que no acepta
app-decline-no_time = No tiene tiempo
app-decline-distance = Queda muy lejos
app-decline-cost = Costo
app-decline-family_objection = La familia se opone
app-decline-stigma = Estigma
app-decline-not_needed = Siente que no lo necesita
app-decline-prefers_other_care = Prefiere otra atención
app-decline-other = Otro
app-session-number = Número de sesión
app-session-date = Fecha
app-session-attendance = ¿Vino el paciente?
app-session-attended = El paciente asistió
app-session-missed = El paciente no vino
app-session-minutes = Duración (minutos)
app-session-modality = Modalidad
app-modality-individual = En persona
app-modality-group = Grupal
app-modality-remote = Por teléfono
app-session-components = ¿Qué temas trató?
app-planned = previsto para esta sesión
app-date-future = La fecha no puede ser futura.
app-refer-to = Derivar a
app-service-primary_care_doctor = Médico de atención primaria
app-service-psychiatry = Psiquiatría
app-service-emergency = Servicio de urgencias
app-service-social_services = Servicios sociales
app-service-other = Otro servicio
app-refer-reason = Motivo
app-reason-suicide_risk = Riesgo de suicidio
app-reason-no_improvement = No mejora
app-reason-psychosis = Posible psicosis
app-reason-medical = Problema médico
app-reason-other = Otro
app-urgency = Urgencia
app-urgency-routine = Normal
app-urgency-urgent = Urgente
app-urgency-emergency = Emergencia
app-close-reason = ¿Por qué termina el tratamiento?
app-closure-completed = Completado
app-closure-dropped_out = Abandonó
app-closure-referred = Derivado
app-closure-transferred = Transferido
app-closure-died = Falleció
app-close-date = Fecha
app-not-found = Este paciente no está en este teléfono.
app-error-reason = Motivo: { $message }
app-search = Buscar un paciente
app-all-clients = Todos mis pacientes
app-show-all = Mostrar todos ({ $n })
app-no-clients = Aún no hay pacientes. Registre uno con “Nuevo paciente”.

## Programme dashboard
nav-dashboard = Panel
dash-title = Panel del programa
dash-forbidden = Su función no incluye las cifras del programa. Pídalas al responsable de su centro.
dash-bad-level = Elija una región o un distrito en la tabla del panel.
dash-no-unit = Este programa no tiene cifras para ese lugar. Vuelva a todos los lugares.
dash-programme = Programa
dash-show = Mostrar
dash-choose = Elija un programa para ver sus cifras.
dash-scope = Dónde
dash-all-units = Todos los lugares
dash-cascade = Cobertura efectiva: personas con necesidad alcanzadas en cada paso
dash-months = Tamizados e inscritos, mes a mes
dash-targets = Frente a las metas del protocolo
dash-target-at-least = meta: al menos { $share }
dash-target-at-most = meta: como máximo { $share }
dash-target-source = Meta fijada por: { $source }
dash-reach-by-sex = Alcance por sexo
dash-reach-by-age = Alcance por grupo de edad
dash-units-region = Regiones
dash-units-district = Distritos
dash-units-facility = Establecimientos
dash-unit = Lugar
dash-none = Aún no hay cifras.
dash-counsellors = Consejeros: fidelidad, dosis y competencia
dash-counsellor = Consejero
dash-suppressed = Los recuentos menores que { $k } se muestran como <{ $k } para que nadie pueda ser reconocido.
dash-download = Descargar las cifras (CSV)
dash-costs-link = Costo de implementación por cliente, año por año
cost-title = Costo de implementación
cost-note = Todos los programas del hub: las sesiones, la supervisión y la formación registradas cada año, valoradas con las listas de precios que guardó el hub (costo de implementación de Proctor).
cost-year = Año
cost-clients = Clientes alcanzados
cost-sessions = Sesiones
cost-total = Costo total
cost-per-client = Costo por cliente
cost-per-session = Costo por sesión
cost-price-list = Lista de precios
cost-missing = Años sin costear
cost-no-prices = No hay lista de precios para { $hub } en { $year }.
cost-upload = Subir una lista de precios
cost-no-activity = Todavía no hay actividad registrada.
dash-definitions = Los nombres de los indicadores están traducidos; sus definiciones están en inglés (docs/indicators.md).
dash-every = Todos los indicadores
dash-every-note = Desde el inicio, para el lugar de arriba. Abra un marco para ver sus indicadores, sobre qué total se calculan y cómo se definen.

## Indicator and framework names (the dashboard): names only, definitions stay in English.
## Working translation, not yet reviewed (see the top of this file). Reach = alcance (as
## dash-reach-by-sex), treatment gap = brecha de tratamiento (PAHO's term).
ind-framework-reach = RE-AIM: Alcance
ind-framework-effectiveness = RE-AIM: Efectividad
ind-framework-adoption = RE-AIM: Adopción
ind-framework-implementation = RE-AIM: Implementación
ind-framework-maintenance = RE-AIM: Mantenimiento
ind-framework-proctor = Resultados de implementación (Proctor)
ind-framework-coverage = Cobertura efectiva y brecha de tratamiento
ind-registered = Pacientes registrados
ind-screened = Pacientes tamizados
ind-eligible = Pacientes elegibles
ind-offered = Pacientes elegibles a quienes se ofreció tratamiento
ind-enrolled = Pacientes inscritos
ind-reach = Alcance (inscritos ÷ elegibles)
ind-reach_participation = Participación entre quienes recibieron la oferta
ind-reach_conservative = Alcance conservador
ind-eligible_non_participants = Pacientes elegibles que no participan
ind-declined = Rechazaron la oferta
ind-decline_reason_no_time = Rechazo: falta de tiempo
ind-decline_reason_distance = Rechazo: distancia
ind-decline_reason_cost = Rechazo: costo
ind-decline_reason_family_objection = Rechazo: oposición de la familia
ind-decline_reason_stigma = Rechazo: estigma
ind-decline_reason_not_needed = Rechazo: no lo considera necesario
ind-decline_reason_prefers_other_care = Rechazo: prefiere otra atención
ind-decline_reason_other = Rechazo: otro motivo
ind-completion = Finalización del tratamiento
ind-dropout = Abandono
ind-phq9_response = Respuesta en el PHQ-9
ind-phq9_remission = Remisión en el PHQ-9 (< 5)
ind-phq9_mean_change = Cambio medio en el PHQ-9
ind-outcome_response = Respuesta en el resultado principal
ind-outcome_remission = Remisión en el resultado principal
ind-outcome_mean_change = Cambio medio en el resultado principal
ind-reliable_improvement = Mejoría confiable (RCI)
ind-reliable_deterioration = Deterioro confiable (RCI)
ind-adverse_events = Alertas de riesgo durante la atención
ind-adoption_facilities = Establecimientos que brindan sesiones
ind-adoption_counsellors = Consejeros capacitados que brindan sesiones
ind-fidelity = Fidelidad (componentes realizados)
ind-dose = Dosis (sesiones asistidas ÷ previstas)
ind-adequate_dose = Dosis adecuada alcanzada
ind-competency_level_1 = Evaluaciones de competencia en el nivel 1 (dañino)
ind-competency_level_2 = Evaluaciones de competencia en el nivel 2
ind-competency_level_3 = Evaluaciones de competencia en el nivel 3
ind-competency_level_4 = Evaluaciones de competencia en el nivel 4
ind-counsellors_competent = Consejeros competentes (todas las competencias ≥ nivel 3)
ind-supervision_coverage = Cobertura de supervisión (últimos 30 días)
ind-alert_response_median_hours = Tiempo de respuesta a alertas de riesgo, mediana
ind-alert_response_p90_hours = Tiempo de respuesta a alertas de riesgo, percentil 90
ind-alert_response_within_limit = Alertas de riesgo confirmadas dentro del plazo del protocolo
ind-maintenance_facilities = Sitios que siguen brindando sesiones 6 meses después del apoyo
ind-maintenance_followup = Seguimiento 6 meses después del último contacto
ind-maintenance_response = Respuesta mantenida 6 meses después del último contacto
ind-penetration_clients = Penetración (pacientes)
ind-penetration_providers = Penetración (proveedores)
ind-acceptability_aim = Aceptabilidad (media AIM)
ind-appropriateness_iam = Adecuación (media IAM)
ind-feasibility_fim = Factibilidad (media FIM)
ind-need = Población con necesidad de atención
ind-coverage_contact = Cobertura de contacto
ind-coverage_adequate_dose = Cobertura con dosis adecuada
ind-coverage_quality = Cobertura ajustada por calidad
ind-coverage_effective = Cobertura efectiva
ind-treatment_gap = Brecha de tratamiento

## Hub console (hub managers and admins)
nav-console = Consola
console-tabs-label = Consola de la sede
console-users = Usuarios
console-org-units = Unidades
console-programmes = Programas
console-definitions = Definiciones
console-audit = Registro de auditoría
console-conflicts = Conflictos de sincronización
console-users-title = Usuarios
console-users-caption = Cuentas que usted administra, por nombre de usuario
console-username = Nombre de usuario
console-display-name = Nombre
console-role = Rol
console-all-hubs = Todas las sedes
console-hub = Sede
console-status = Estado
console-actions = Acciones
console-active = Activo
console-deactivated = Desactivado
console-deactivate = Desactivar
console-reactivate = Reactivar
console-move = Transferir pacientes
console-reset-password = Restablecer la contraseña
console-new-password = Nueva contraseña
console-next-page = Página siguiente
console-create-user = Nueva cuenta
console-supervisor = Supervisor (para un consejero)
console-password = Contraseña
console-create = Crear cuenta
console-role-required = Elija un rol para la cuenta.
console-deactivate-self = No puede desactivar su propia cuenta: pídalo a otro responsable de la sede o a un administrador.
console-move-title = Transferir pacientes
console-move-heading = Transferir los pacientes de { $name }
console-move-to = Consejero que los recibe
console-move-confirm = ¿Transferir los pacientes activos de { $from } a { $to }?
console-move-history = Los registros, alertas abiertas e historial de cada paciente lo acompañan; la transferencia queda en el registro de auditoría. Los pacientes cuya atención terminó se quedan con su consejero.
console-move-do = Transferir
console-move-none = No hay otro consejero activo en esta sede que pueda recibir a estos pacientes.
console-move-choose = Elija el consejero que los recibe.
console-continue = Continuar
console-not-counsellor = Solo se pueden transferir los pacientes de un consejero.
console-org-units-title = Unidades
console-org-units-intro = La necesidad de atención es la población del área por la prevalencia: indique ambas y la fuente de la prevalencia.
console-name = Nombre
console-catchment = Población del área
console-prevalence = Prevalencia (%)
console-prevalence-hint = Un porcentaje, por ejemplo 4.5. Déjelo en blanco para borrarlo.
console-prevalence-source = Fuente de la prevalencia
console-catchment-invalid = Población del área: indique un número entero de personas.
console-prevalence-invalid = Prevalencia: indique un porcentaje entre 0 y 100.
console-none = Nada que mostrar por ahora.
console-programmes-title = Programas
console-protocol = Protocolo
console-alert-hours = Horas para confirmar una alerta de riesgo
console-hours-invalid = Horas para confirmar: indique un número entero de horas.
console-definitions-title = Definiciones
console-upload = Subir un archivo de definición
console-file = Archivo (TOML, o XLSForm .xlsx)
console-file-hint = Un archivo de instrumento, protocolo, marco de competencias, textos de ítems o lista de precios, de 512 KB como máximo. Se aplica enseguida, sin reiniciar.
console-xlsform-hint = Un XLSForm (.xlsx) se convierte en un instrumento, con los textos de los ítems para cada otro idioma: preguntas select_one con opciones numéricas enteras y preguntas integer con un rango. Todo lo demás se rechaza indicando la hoja, la fila y la columna.
console-licence = Licencia del texto de un XLSForm
console-licence-unknown = No indicada: no guardar texto
console-licence-attribution = Libre con atribución: guardar el texto
console-licence-open = Abierta: guardar el texto
console-scope = Se aplica a
console-scope-network = Todas las sedes (toda la red)
console-upload-do = Subir
console-upload-refused = Este archivo no se guardó:
console-upload-fix = Corrija el archivo en la línea indicada y súbalo de nuevo. No se cambió nada.
console-line = Línea
console-field = Campo
console-problem = Problema
console-definitions-stored = Archivos guardados
console-definitions-version = Versión de las definiciones en vigor: { $version }.
console-definitions-none = Ningún archivo subido: se aplican las definiciones incluidas.
console-kind = Tipo
console-code = Código
console-version = Versión
console-added = Añadido
console-hub-required = Elija la sede a la que se aplica el archivo.
console-file-required = Elija un archivo para subir.
console-file-too-large = El archivo es demasiado grande: un archivo de definición tiene como máximo 512 KB.
console-file-not-text = El archivo no es texto UTF-8: guárdelo como TOML UTF-8 y súbalo de nuevo.
console-audit-title = Registro de auditoría
console-audit-actor = Quién (nombre de usuario)
console-audit-action = Acción
console-audit-action-hint = Basta el inicio de una acción: user. encuentra todos los eventos de cuentas.
console-audit-from = Desde
console-audit-to = Hasta
console-audit-at = Cuándo (UTC)
console-audit-entity = Qué
console-audit-none = Ningún evento coincide.
console-audit-system = sistema
console-audit-bad-date = { $field }: indique una fecha con el formato AAAA-MM-DD.
console-filter = Filtrar
console-clear = Limpiar
console-older = Eventos anteriores
console-conflicts-title = Conflictos de sincronización
console-conflicts-intro = Un teléfono envió un cambio de un registro que mientras tanto cambió en el servidor. Compare los campos y conserve una versión; ambas quedan en el historial del registro.
console-conflicts-none = No hay conflictos abiertos.
console-conflict-by = Enviado por { $author } el { $time } · pacientes de { $counsellor }
console-conflict-server = En el servidor
console-conflict-incoming = Del teléfono
console-keep-server = Conservar la versión del servidor
console-keep-incoming = Conservar la versión del teléfono
console-done-created = La cuenta fue creada.
console-done-deactivated = La cuenta fue desactivada y sus sesiones cerradas.
console-done-reactivated = La cuenta fue reactivada.
console-done-password = La contraseña fue restablecida y las sesiones de la cuenta cerradas.
console-done-moved = Los pacientes fueron transferidos.
console-done-saved = Guardado.
console-done-uploaded = El archivo se guardó y se aplica ya, en todos los servidores.
console-done-resolved = El conflicto fue resuelto.
error-refused = Su rol ({ $role }) no permite { $action }. Quién puede: { $who }. Pídalo a uno de ellos, o vuelva a su página de inicio.
capability-open_hub_console = abrir la consola de la sede
capability-manage_users = crear, desactivar o restablecer cuentas
capability-move_caseloads = transferir pacientes a otro consejero
capability-manage_hub_setup = configurar unidades y programas
capability-manage_definitions = subir archivos de definición
capability-manage_network_definitions = subir archivos de definición para toda la red
capability-read_audit = leer el registro de auditoría
capability-review_clinical = revisar alertas de riesgo y conflictos de sincronización
console-move-active = { $count ->
    [one] { $count } paciente activo será transferido.
   *[other] { $count } pacientes activos serán transferidos.
}
console-move-ended = { $count ->
    [one] { $count } paciente con la atención terminada se queda.
   *[other] { $count } pacientes con la atención terminada se quedan.
}
console-password-hint = { $count ->
    [one] Al menos { $count } carácter. Las sesiones de la cuenta se cierran al restablecerla.
   *[other] Al menos { $count } caracteres. Las sesiones de la cuenta se cierran al restablecerla.
}

## Record imports (issue 9): the import page, for the roles that write care records
nav-imports = Importar registros
capability-write_care_records = registrar o importar registros de atención
imports-title = Importar registros
imports-intro = Los registros exportados de ODK Central, KoboToolbox, REDCap o DHIS2 Tracker pasan por las mismas comprobaciones, puntuaciones, alertas de riesgo y auditoría que los enviados desde un teléfono, guardados a su nombre. Empiece con una prueba: lee y comprueba cada fila y no guarda nada.
imports-source = Origen
imports-source-odk = ODK Central o KoboToolbox (CSV de envíos, zip de Central o XLSX de Kobo)
imports-source-redcap = REDCap (exportación plana de registros, CSV)
imports-source-dhis2-tracker = DHIS2 Tracker (contenido JSON)
imports-file = Archivo de datos
imports-file-hint = La exportación tal como la escribe el sistema de origen, en UTF-8, como máximo { $size }.
imports-file-zip = El zip de exportación de ODK Central (todos los envíos, tal como se descarga) puede elegirse tal cual: el CSV de cada grupo de repetición se lee de él, así que deje vacío “Grupos de repetición”.
imports-file-xlsx = También puede elegirse la exportación XLSX de KoboToolbox (“valores y encabezados XML”): cada grupo de repetición se lee de su propia hoja, así que deje vacío “Grupos de repetición”.
imports-mapping = Archivo de correspondencia (TOML)
imports-mapping-hint = Indica qué columna pasa a qué campo de scaleup (docs/interoperability.md, Imports).
imports-repeats = Grupos de repetición (ODK Central, opcional)
imports-repeats-hint = El CSV de cada grupo de repetición de la misma exportación de Central (formulario-grupo.csv), para los [[repeats]] del archivo de correspondencia. Puede elegir varios.
imports-programme = Programa (solo DHIS2 Tracker)
imports-programme-none = Ninguno (no es DHIS2)
imports-dry-run = Prueba: comprobar y contar, no guardar nada
imports-do = Subir
imports-result-dry = Prueba de { $file }: no se guardó nada
imports-result = { $file } importado
imports-rows = Filas leídas
imports-rows-refused = Filas rechazadas
imports-created = Registros creados
imports-updated = Registros actualizados
imports-unchanged = Registros sin cambios
imports-conflicts = Guardados como conflictos de sincronización para revisar
imports-rejected = Registros rechazados
imports-would-create = Registros que se crearían
imports-would-replace = Registros que ya existen (actualizados o sin cambios)
imports-problems = Problemas (archivo, fila y columna)
imports-problems-more = Problemas en total: { $count }. Se listan los primeros { $shown }.
imports-none = Sin problemas.
imports-dry-next = No se guardó nada. Para importar, elija de nuevo los mismos archivos, desmarque la prueba y suba.
imports-source-required = Elija el origen del archivo.
imports-file-required = Elija el archivo de datos.
imports-mapping-required = Elija el archivo de correspondencia.
imports-mapping-too-large = El archivo de correspondencia es demasiado grande: como máximo 1 MiB.
imports-mapping-not-text = El archivo de correspondencia no es texto UTF-8: guárdelo en UTF-8 y súbalo de nuevo.
imports-too-large = La subida es demasiado grande: como máximo { $size }. Importe archivos más grandes con scaleup import en el servidor.
imports-busy = Hay otras importaciones en curso. Espere un minuto y vuelva a enviar los archivos.
imports-too-slow = La subida tardó demasiado en llegar. Inténtelo con una conexión mejor o divida el archivo.
imports-unreadable = No se pudo leer la subida: elija los archivos y súbalos de nuevo.
imports-refused = Esta importación no se hizo y no se guardó nada
